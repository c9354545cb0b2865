/* The version of thptrace's JSON Lines schema (schema/thptrace-events.schema.json):
 * every line thptrace writes carries it as "schema_version", the key after
 * "event".  Raise it when a key changes meaning or type or goes away (new
 * keys and new events keep it); `thptrace report` reads lines without it
 * as version 1 and refuses a trace of a version above this one. */
#ifndef THP_JSON_SCHEMA_H
#define THP_JSON_SCHEMA_H

#define THPTRACE_JSON_SCHEMA_VERSION 1

#endif
