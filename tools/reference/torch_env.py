"""Pins PyTorch's CPU settings and checks which BLAS it really calls.

Debian's python3-torch links libblas.so.3 / liblapack.so.3, which the alternatives system points
at the reference BLAS (slow, single-threaded, unblocked) or at OpenBLAS. Anything measured on
the reference BLAS is meaningless, so the benchmark refuses to report unless the libblas.so.3
mapped into this process lives in an OpenBLAS directory and a 1024^3 fp32 matmul runs at a
plausible speed. To select OpenBLAS:
  apt-get install libopenblas0-openmp
  update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
  update-alternatives --set liblapack.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp/liblapack.so.3
or, without root, LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (bench/compare-torch.sh
sets it).
"""
import os
import time

import torch

# The reference BLAS manages about 1-3 GFLOP/s on a 1024^3 sgemm; OpenBLAS on two cores of a
# current x86 several tens even while other work shares the machine.
MIN_SGEMM_GFLOPS = 5.0


def configure(threads, deterministic=True):
    torch.set_num_threads(threads)
    if deterministic:
        torch.use_deterministic_algorithms(True)


def mapped_libraries():
    """Real paths of the shared objects mapped into this process."""
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and ".so" in fields[5] and fields[5] not in paths:
                paths.append(fields[5])
    return paths


def sgemm_gflops(n=1024, repeats=3):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    a @ b  # warm-up: thread pool start, page faults
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    seconds = (time.perf_counter() - start) / repeats
    return 2.0 * n ** 3 / seconds / 1e9


def blas_report():
    libs = mapped_libraries()
    blas = [p for p in libs if os.path.basename(p).startswith(("libblas.so", "libopenblas", "libmkl_rt",
                                                                "libblis"))]
    libblas = [p for p in libs if os.path.basename(p).startswith("libblas.so")]
    openblas = bool(libblas) and all("openblas" in p for p in libblas)
    return {"libblas": libblas, "blas_libraries": blas, "openblas": openblas,
            "sgemm_1024_gflops": round(sgemm_gflops(), 1), "threads": torch.get_num_threads()}


def require_openblas():
    """Returns blas_report(), or exits with a message when PyTorch is not on OpenBLAS."""
    report = blas_report()
    if not report["openblas"]:
        raise SystemExit(
            "PyTorch is not using OpenBLAS: libblas.so.3 resolves to " + (", ".join(report["libblas"]) or "nothing")
            + ". Install libopenblas0-openmp and select it (update-alternatives --set libblas.so.3-x86_64-linux-gnu "
            "/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3, same for liblapack.so.3), or run with "
            "LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp.")
    if report["sgemm_1024_gflops"] < MIN_SGEMM_GFLOPS:
        raise SystemExit(
            f"a 1024^3 fp32 matmul ran at {report['sgemm_1024_gflops']} GFLOP/s (< {MIN_SGEMM_GFLOPS}) although "
            f"{report['libblas']} is mapped: that is reference-BLAS speed (or a badly overloaded machine); "
            "refusing to report.")
    return report
