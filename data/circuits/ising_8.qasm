// Transverse-field Ising chain, 8 sites, open boundary:
//   H = -J sum_i Z_i Z_{i+1} - h sum_i X_i,   J = 1.0, h = 0.9
// First-order Trotter evolution to t = steps * dt = 1.0 from |00000000>:
//   exp(+i J dt Z Z) = rzz(-2 J dt),  exp(+i h dt X) = rx(-2 h dt)
OPENQASM 3.0;
include "stdgates.inc";

gate rzz(theta) a, b { cx a, b; rz(theta) b; cx a, b; }

const int n = 8;
const int steps = 4;
const float dt = 0.25;
const float J = 1.0;
const float hx = 0.9;

qubit[n] q;
bit[n] c;

for int s in [1:steps] {
    for int i in [0:n - 2] {
        rzz(-2 * J * dt) q[i], q[i + 1];
    }
    for int i in [0:n - 1] {
        rx(-2 * hx * dt) q[i];
    }
}

c = measure q;
