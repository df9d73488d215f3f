#!/usr/bin/env python3
"""tools/bench_table.py on hand-written Google Benchmark JSON: CPU names (with threads:) and
CUDA names (bench/cuda/: calls: or no threads:, manual_time), skipped benchmarks, the median
aggregate, and the per-device step target. Run: python3 tests/bench/bench_table_test.py ROOT"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import bench_table  # noqa: E402


def row(name, **fields):
    return {"name": name, "run_name": name, "run_type": "iteration", "real_time": 1.0, "time_unit": "us", **fields}


def skipped(name, message):
    return {"name": name, "run_name": name, "run_type": "iteration", "error_occurred": True, "error_message": message}


DOC = {
    "context": {"cpu_model": "Test CPU", "hardware_threads": "16", "lockstep_arch": "x86-64-v4", "date": "today",
                "gpu": "Test GPU (sm_90)"},
    "benchmarks": [
        row("conv2d_fwd/cpu/det/mnist_c1_b32/threads:2/real_time", **{"FLOP/s": 9e9}),
        row("conv2d_fwd/cpu/fast/mnist_c1_b32/threads:2/real_time", **{"FLOP/s": 10e9}),
        row("conv2d_fwd/cuda/det/mnist_c1_b32/calls:10/manual_time", **{"FLOP/s": 50e9}),
        row("conv2d_fwd/cuda/fast/mnist_c1_b32/calls:10/manual_time", **{"FLOP/s": 100e9}),
        skipped("linear_fwd/cuda/det/mnist_fc1_b32/calls:10/manual_time", "no usable CUDA device: none"),
        skipped("linear_fwd/cuda/fast/mnist_fc1_b32/calls:10/manual_time", "no usable CUDA device: none"),
        row("train_step/cpu/det/batch:32/threads:2/real_time", **{"samples/s": 30000.0}),
        row("train_step/cpu/fast/batch:32/threads:2/real_time", **{"samples/s": 15000.0}),
        row("train_step/cuda/det/batch:32/real_time", **{"samples/s": 100000.0}),
        row("train_step/cuda/fast/batch:32/real_time", **{"samples/s": 112000.0}),
        row("train_step/cuda/det/batch:256/real_time", **{"samples/s": 100000.0}),
        row("train_step/cuda/fast/batch:256/real_time", **{"samples/s": 120000.0}),
        row("gemm/cpu/det/n:512/threads:1/real_time", **{"FLOP/s": 1e9}),
        row("gemm/cpu/eigen/n:512/threads:1/real_time", **{"FLOP/s": 1e9}),
        row("gemm/cpu/det/n:1024/threads:1/real_time", **{"FLOP/s": 2e9}),
        row("gemm/cpu/eigen/n:1024/threads:1/real_time", **{"FLOP/s": 4e9}),
        # --benchmark_repetitions: the median wins over the iteration rows
        row("conv2d_bwd_data/cuda/det/mnist_c2_b256/calls:10/manual_time", **{"FLOP/s": 1e9}),
        {**row("conv2d_bwd_data/cuda/det/mnist_c2_b256/calls:10/manual_time", **{"FLOP/s": 3e9}),
         "run_type": "aggregate", "aggregate_name": "median"},
        row("conv2d_bwd_data/cuda/fast/mnist_c2_b256/calls:10/manual_time", **{"FLOP/s": 6e9}),
    ],
}


class BenchTable(unittest.TestCase):
    def setUp(self):
        self.results, _ = bench_table.load_docs([DOC])

    def test_names_split_into_op_device_variant_and_arguments(self):
        self.assertEqual(bench_table.split("conv2d_fwd/cuda/det/mnist_c1_b32/calls:10/manual_time"),
                         ("conv2d_fwd", "cuda", "det", "mnist_c1_b32/calls:10"))
        self.assertEqual(bench_table.args_of("mnist_c1_b32/threads:2"), ("mnist_c1_b32", {"threads": "2"}))
        self.assertEqual(bench_table.args_of("batch:32"), ("", {"batch": "32"}))

    def test_cpu_and_cuda_rows_of_one_shape_stay_apart(self):
        lines = bench_table.table_ops(self.results)
        self.assertIn("| conv2d_fwd | cpu | mnist_c1_b32 | 2 | 9.0 | 10.0 | 0.90 | yes |", lines)
        self.assertIn("| conv2d_fwd | cuda | mnist_c1_b32 | — | 50.0 | 100.0 | 0.50 | **no** |", lines)

    def test_skipped_benchmark_shows_its_reason(self):
        line = [l for l in bench_table.table_ops(self.results) if l.startswith("| linear_fwd | cuda")]
        self.assertEqual(len(line), 1)
        self.assertIn("ERROR: no usable CUDA device: none", line[0])

    def test_median_aggregate_is_used(self):
        self.assertIn("| conv2d_bwd_data | cuda | mnist_c2_b256 | — | 3.0 | 6.0 | 0.50 | **no** |",
                      bench_table.table_ops(self.results))

    def test_step_target_is_per_device(self):
        lines = bench_table.table_steps(self.results)
        self.assertIn("| batch 32 | cpu | 2 | 30000 | 15000 | 0.50 | ≤ 1.10: yes |", lines)
        self.assertIn("| batch 32 | cuda | — | 100000 | 112000 | 1.12 | ≤ 1.15: yes |", lines)
        self.assertIn("| batch 256 | cuda | — | 100000 | 120000 | 1.20 | ≤ 1.15: **no** |", lines)

    def test_gemm_sorted_by_size(self):
        lines = bench_table.table_gemm(self.results)
        self.assertEqual([l.split("|")[1].strip() for l in lines[2:]], ["512", "1024"])

    def test_command_prints_the_gpu_and_every_table(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(DOC, f)
        try:
            out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench_table.py"), f.name],
                                 capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(f.name)
        self.assertIn("GPU: Test GPU (sm_90)", out)
        for title in ("### Per op and pass", "### GEMM", "### End-to-end training step"):
            self.assertIn(title, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
