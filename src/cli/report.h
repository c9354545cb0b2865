/* `thptrace report`: replay saved JSON Lines through the same region state
 * machine and sinks as a live run. */
#ifndef THP_REPORT_H
#define THP_REPORT_H
int report_main(int argc, char **argv);
#endif
