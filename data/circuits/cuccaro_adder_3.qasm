// Cuccaro ripple-carry adder on two 3-bit registers (OpenQASM 2).
// Computes b := a + b with carry-out in cout; here a = 3, b = 5, so the result is 8:
// ans = cout b[2] b[1] b[0] = "1000".
OPENQASM 2.0;
include "qelib1.inc";

// majority: (c, b, a) -> (c xor a, b xor a, maj(a, b, c))
gate majority c, b, a { cx a, b; cx a, c; ccx c, b, a; }
// unmajority-and-add: undoes majority and writes the sum bit into b
gate unmaj c, b, a { ccx c, b, a; cx a, c; cx c, b; }

qreg cin[1];
qreg a[3];
qreg b[3];
qreg cout[1];
creg ans[4];

// a = 3 = 011, b = 5 = 101 (index 0 is the least significant bit)
x a[0];
x a[1];
x b[0];
x b[2];

majority cin[0], b[0], a[0];
majority a[0], b[1], a[1];
majority a[1], b[2], a[2];
cx a[2], cout[0];
unmaj a[1], b[2], a[2];
unmaj a[0], b[1], a[1];
unmaj cin[0], b[0], a[0];

measure b[0] -> ans[0];
measure b[1] -> ans[1];
measure b[2] -> ans[2];
measure cout[0] -> ans[3];
