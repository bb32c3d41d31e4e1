#!/usr/bin/env bash
# Runs a program on an emulated Haswell CPU (AVX2 and FMA, no AVX-512): a cargo runner for
# the model tests (scripts/test.sh), so that ONNX Runtime takes the kernels of such a CPU
# whatever this machine has. Its child processes run natively.
# (pcid, x2apic, tsc-deadline, hle, rtm and invpcid are left out: TCG lacks them and would
# warn at every start; nothing chooses a kernel by them.)
exec qemu-x86_64 -cpu Haswell,-pcid,-x2apic,-tsc-deadline,-hle,-rtm,-invpcid "$@"
