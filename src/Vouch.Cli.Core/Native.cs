using System.Runtime.InteropServices;

namespace Vouch.Cli;

/// <summary>The few libc calls the CLI needs.</summary>
internal static partial class Native
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int PrSetDumpable = 4;
    private const int PrGetDumpable = 3;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "setsid")]
    public static partial int SetSid();

    /// <summary>access(2) with X_OK: 0 when this user may execute <paramref name="path"/>.</summary>
    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int AccessExecute(string path, int mode = 1);

    /// <summary>
    /// lstat(2) of <paramref name="path"/> (a symbolic link is described, not followed): its owner's uid and its
    /// st_mode (type and permission bits); null when it does not exist. statx(2) has the same layout on every architecture.
    /// </summary>
    public static (uint Owner, uint Mode)? LinkStatus(string path)
    {
        // struct statx: stx_mask u32, stx_blksize u32, stx_attributes u64, stx_nlink u32, stx_uid u32, stx_gid u32, stx_mode u16, ... (256 bytes)
        Span<byte> buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // ENOENT, ENOTDIR: nothing there.
            if (errno is 2 or 20) return null;
            throw new IOException($"cannot examine {path} (errno {errno})");
        }
        return (MemoryMarshal.Read<uint>(buffer[20..24]), MemoryMarshal.Read<ushort>(buffer[28..30]));
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);

    /// <summary>
    /// prctl(PR_SET_DUMPABLE, 0): no core dump, and other processes of the same user can no longer ptrace this one or
    /// read its /proc/PID/mem or environ (the kernel makes those files root's). True when it took effect.
    /// </summary>
    public static bool MakeUndumpable() => Prctl(PrSetDumpable, 0, 0, 0, 0) == 0 && Prctl(PrGetDumpable, 0, 0, 0, 0) == 0;

    /// <summary>execv(2): replaces this process with <paramref name="path"/>; returns (the errno) only when that fails.</summary>
    public static unsafe int Exec(string path, string[] argv)
    {
        var pointers = new nint[argv.Length + 1];
        try
        {
            for (var i = 0; i < argv.Length; i++) pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            fixed (nint* vector = pointers) Execv(path, vector);
            return Marshal.GetLastPInvokeError();
        }
        finally
        {
            foreach (var pointer in pointers) Marshal.FreeCoTaskMem(pointer);
        }
    }

    [LibraryImport("libc", EntryPoint = "execv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Execv(string path, nint* argv);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
