// Bernstein-Vazirani with a 5-bit secret s = 10110 (s_4 ... s_0) and one ancilla (OpenQASM 2).
// The oracle computes f(x) = s . x into the ancilla; one query reveals s: c = "10110".
OPENQASM 2.0;
include "qelib1.inc";

qreg q[6];
creg c[5];

x q[5];
h q;
// oracle: a CNOT from every data qubit whose secret bit is 1
cx q[1], q[5];
cx q[2], q[5];
cx q[4], q[5];
h q[0];
h q[1];
h q[2];
h q[3];
h q[4];

measure q[0] -> c[0];
measure q[1] -> c[1];
measure q[2] -> c[2];
measure q[3] -> c[3];
measure q[4] -> c[4];
