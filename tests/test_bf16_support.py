"""helpers.runtime: bfloat16_support (CPU flags, oneDNN's ISA limit) and dtypes_that_run."""

import pytest

from helpers.runtime import (
    BFLOAT16_FLAGS,
    ONEDNN_ISA_BFLOAT16,
    bfloat16_support,
    dtypes_that_run,
)

COMMON = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr sse sse2 ssse3 sse4_1 sse4_2 avx avx2"
SKYLAKE = COMMON + " avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni"  # no bf16
SAPPHIRE_RAPIDS = SKYLAKE + " avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8"
ARROW_LAKE = COMMON + " avx_vnni avx_ne_convert avx_vnni_int8"  # bf16 conversions, no AVX-512


def cpuinfo(flags, processors=2):
    """A /proc/cpuinfo as Linux writes it: one block per logical processor."""
    block = (
        "processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU\nflags\t\t: {flags}\n"
    )
    return "\n".join(block.format(n=n, flags=flags) for n in range(processors))


def support(flags, limit=None):
    environ = {} if limit is None else {"ONEDNN_MAX_CPU_ISA": limit}
    return bfloat16_support(cpuinfo(flags), environ, "linux")


def test_amx_cpu_has_native_bfloat16():
    found = support(SAPPHIRE_RAPIDS)
    assert found.native is True
    assert found.flags == ("amx_bf16", "avx512_bf16")
    assert found.limit is None
    assert found.reason == "native bfloat16: the CPU has amx_bf16, avx512_bf16"


def test_avx512_without_bf16_is_not_native_and_names_the_flags():
    found = support(SKYLAKE)
    assert found.native is False
    assert found.flags == ()
    assert found.reason == (
        "no native bfloat16: the CPU lists none of the flags amx_bf16, avx512_bf16, avx_ne_convert"
    )


def test_avx_ne_convert_counts_as_native():
    found = support(ARROW_LAKE)
    assert found.native is True
    assert found.flags == ("avx_ne_convert",)


def test_flag_names_are_whole_words():
    # "avx512_bf16x" is not avx512_bf16; a substring search would say it is.
    assert support(SKYLAKE + " avx512_bf16x").native is False


@pytest.mark.parametrize("limit", ["AVX2", "avx2", " AVX2 ", "SSE41", "AVX512_CORE_VNNI"])
def test_an_isa_limit_below_bf16_turns_native_off_and_says_so(limit):
    found = support(SAPPHIRE_RAPIDS, limit)
    assert found.native is False
    assert found.limit == limit.strip().upper()
    assert found.flags == ("amx_bf16", "avx512_bf16")
    assert f"ONEDNN_MAX_CPU_ISA={limit.strip().upper()} limits oneDNN" in found.reason
    assert "amx_bf16, avx512_bf16" in found.reason


@pytest.mark.parametrize(
    ("limit", "native"),
    [
        ("AVX512_CORE_BF16", True),
        ("AVX512_CORE_AMX", True),
        ("ALL", True),
        ("DEFAULT", True),
        ("AVX2_VNNI_2", False),  # AVX-NE-CONVERT only: not the AVX-512 BF16 of this CPU
    ],
)
def test_limits_at_or_above_bf16_keep_native(limit, native):
    found = support(SAPPHIRE_RAPIDS, limit)
    assert found.native is native
    if native:
        assert found.reason.endswith(f"and ONEDNN_MAX_CPU_ISA={limit} allows them")


def test_avx2_vnni_2_limit_keeps_avx_ne_convert():
    assert support(ARROW_LAKE, "AVX2_VNNI_2").native is True
    assert support(ARROW_LAKE, "AVX2_VNNI").native is False


def test_a_limit_on_a_cpu_without_bf16_is_mentioned():
    found = support(SKYLAKE, "AVX2")
    assert found.native is False
    assert found.reason.endswith("(and ONEDNN_MAX_CPU_ISA=AVX2 is set)")


def test_an_undocumented_limit_is_read_as_no_limit():
    found = support(SAPPHIRE_RAPIDS, "AVX9000")
    assert found.native is True
    assert "ONEDNN_MAX_CPU_ISA=AVX9000 is not a value oneDNN documents" in found.reason


def test_empty_limit_is_no_limit():
    assert support(SAPPHIRE_RAPIDS, "").limit is None


def test_other_systems_are_unknown_without_reading_a_file():
    found = bfloat16_support(environ={}, platform="darwin")
    assert found.native is None
    assert found.reason.startswith("unknown:") and "darwin" in found.reason


def test_cpuinfo_without_x86_flags_is_unknown():
    arm = "processor\t: 0\nFeatures\t: fp asimd bf16 sve\nCPU implementer\t: 0x41\n"
    found = bfloat16_support(arm, {}, "linux")
    assert found.native is None
    assert "no x86 'flags' line" in found.reason


def test_every_documented_limit_allows_only_known_flags():
    for limit, flags in ONEDNN_ISA_BFLOAT16.items():
        assert set(flags) <= set(BFLOAT16_FLAGS), limit
    assert ONEDNN_ISA_BFLOAT16["AVX2"] == ()


# dtypes_that_run: a stand-in probe (no TensorFlow) that behaves by the "dtype" it is given.
FAKE_PROBE = """
import os, sys, time
name = sys.argv[1]
if name == "crash":
    os.abort()
if name == "error":
    sys.exit(3)
if name == "hang":
    time.sleep(60)
if name == "env":
    sys.exit(0 if os.environ.get("ONEDNN_MAX_CPU_ISA") == "AVX2" else 1)
"""


def test_dtypes_that_run_tells_clean_exits_from_crashes_errors_and_hangs():
    found = dtypes_that_run(["fine", "crash", "error", "hang"], timeout=5, probe=FAKE_PROBE)
    assert found == {"fine": True, "crash": False, "error": False, "hang": False}


def test_dtypes_that_run_passes_the_environment_on(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert dtypes_that_run(["env"], timeout=30, probe=FAKE_PROBE) == {"env": True}
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    assert dtypes_that_run(["env"], timeout=30, probe=FAKE_PROBE) == {"env": False}
