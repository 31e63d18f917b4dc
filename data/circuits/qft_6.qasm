// Quantum Fourier transform on 6 qubits (qiskit's QFT convention, with the final swaps),
// applied to the basis state |x> with x = 0b101101 = 45 (q[0] is the least significant bit).
OPENQASM 3.0;
include "stdgates.inc";

const int n = 6;
qubit[n] q;
bit[n] c;

// prepare |45>
x q[0];
x q[2];
x q[3];
x q[5];

for int j in [n - 1:-1:0] {
    h q[j];
    for int k in [j - 1:-1:0] {
        cp(pi / 2 ** (j - k)) q[j], q[k];
    }
}
for int i in [0:n / 2 - 1] {
    swap q[i], q[n - 1 - i];
}

c = measure q;
