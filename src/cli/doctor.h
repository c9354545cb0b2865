/* `thptrace doctor`: a preflight of this machine for file THP tracing. */
#ifndef THP_DOCTOR_H
#define THP_DOCTOR_H
int doctor_main(int argc, char **argv);
#endif
