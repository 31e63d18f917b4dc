// QAOA (p = 2) for MaxCut on the 6-node ring 0-1-2-3-4-5-0, with fixed (pre-optimised) angles.
// Cost layer: exp(-i gamma Z_a Z_b) per edge = rzz(2 gamma); mixer: exp(-i beta X) = rx(2 beta).
// Expected cut size ~5 of 6 (random guessing gives 3), the known p = 2 optimum (2p+1)/(2p+2) for rings.
OPENQASM 3.0;
include "stdgates.inc";

// not in stdgates.inc; qnb recognises this exact definition as its library gate rzz
gate rzz(theta) a, b { cx a, b; rz(theta) b; cx a, b; }

const int n = 6;
const float gamma1 = -0.64;
const float beta1 = -1.89;
const float gamma2 = 0.32;
const float beta2 = 0.64;

qubit[n] q;
bit[n] c;

def qaoa_layer(float[64] gamma, float[64] beta, qubit[6] r) {
    for int i in [0:5] {
        rzz(2 * gamma) r[i], r[(i + 1) % 6];
    }
    for int i in [0:5] {
        rx(2 * beta) r[i];
    }
}

h q;
qaoa_layer(gamma1, beta1, q);
qaoa_layer(gamma2, beta2, q);

c = measure q;
