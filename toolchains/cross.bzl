"""Cross C++ toolchains for Debian's gcc cross compilers (gcc-12).

debian_gcc_cross(name, cpu, triple) declares a cc_toolchain for the Debian
cross compiler `<triple>-gcc` (package g++-<triple>): tools in /usr/bin, the
target's libc and libstdc++ under /usr/<triple>, gcc's own headers under
/usr/lib/gcc-cross/<triple>/12. The flags mirror the host toolchain that
Bazel auto-configures (@local_config_cc), so a cross build compiles the same
code the same way. Used through //toolchains:cross (see .bazelrc,
--config=aarch64 and --config=i386).
"""

load("@bazel_tools//tools/cpp:unix_cc_toolchain_config.bzl", "cc_toolchain_config")
load("@rules_cc//cc:defs.bzl", "cc_toolchain")

_GCC_VERSION = "12"

_TOOLS = ["ar", "cpp", "gcc", "dwp", "gcov", "ld", "nm", "objcopy", "objdump", "strip"]

def _tool_paths(triple):
    paths = {tool: "/usr/bin/%s-%s" % (triple, tool) for tool in _TOOLS}
    paths["llvm-cov"] = "/bin/false"  # coverage of cross builds: unsupported
    return paths

def debian_gcc_cross(name, cpu, triple):
    """A cc_toolchain `name` for target `cpu` built by /usr/bin/<triple>-gcc."""
    config = name + "_config"
    cc_toolchain_config(
        name = config,
        cpu = cpu,
        compiler = "gcc",
        toolchain_identifier = name,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = triple,
        target_libc = "glibc",
        abi_version = "gcc-" + _GCC_VERSION,
        abi_libc_version = "glibc",
        # What `<triple>-g++ -E -v` searches, normalised; /usr/include is on
        # Debian's cross search path too (last), so it must be declared.
        cxx_builtin_include_directories = [
            "/usr/%s/include/c++/%s" % (triple, _GCC_VERSION),
            "/usr/%s/include/c++/%s/%s" % (triple, _GCC_VERSION, triple),
            "/usr/%s/include/c++/%s/backward" % (triple, _GCC_VERSION),
            "/usr/lib/gcc-cross/%s/%s/include" % (triple, _GCC_VERSION),
            "/usr/%s/include" % triple,
            "/usr/include",
        ],
        tool_paths = _tool_paths(triple),
        compile_flags = [
            "-U_FORTIFY_SOURCE",
            "-fstack-protector",
            "-Wall",
            "-Wunused-but-set-parameter",
            "-Wno-free-nonheap-object",
            "-fno-omit-frame-pointer",
        ],
        opt_compile_flags = [
            "-g0",
            "-O2",
            "-D_FORTIFY_SOURCE=1",
            "-DNDEBUG",
            "-ffunction-sections",
            "-fdata-sections",
        ],
        dbg_compile_flags = ["-g"],
        cxx_flags = ["-std=c++0x"],
        link_flags = [
            "-fuse-ld=gold",
            "-Wl,-no-as-needed",
            "-Wl,-z,relro,-z,now",
            "-pass-exit-codes",
        ],
        link_libs = ["-lstdc++", "-lm"],
        opt_link_flags = ["-Wl,--gc-sections"],
        unfiltered_compile_flags = [
            "-fno-canonical-system-headers",
            "-Wno-builtin-macro-redefined",
            "-D__DATE__=\"redacted\"",
            "-D__TIMESTAMP__=\"redacted\"",
            "-D__TIME__=\"redacted\"",
        ],
        coverage_compile_flags = ["--coverage"],
        coverage_link_flags = ["--coverage"],
        supports_start_end_lib = True,
    )
    cc_toolchain(
        name = name,
        toolchain_identifier = name,
        toolchain_config = ":" + config,
        all_files = ":empty",
        ar_files = ":empty",
        as_files = ":empty",
        compiler_files = ":empty",
        dwp_files = ":empty",
        linker_files = ":empty",
        objcopy_files = ":empty",
        strip_files = ":empty",
        supports_param_files = 1,
    )
