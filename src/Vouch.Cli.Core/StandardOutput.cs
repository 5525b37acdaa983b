using Microsoft.Win32.SafeHandles;

namespace Vouch.Cli;

/// <summary>File descriptor 1 as a plain stream, for the hot path (<see cref="HotPath"/>).</summary>
internal static class StandardOutput
{
    /// <summary>
    /// Standard output, unbuffered, left open when disposed. Not <see cref="Console.OpenStandardOutput()"/>: its first
    /// write sets up the terminal and starts a signal-handling thread, a cost paid in every credential_process call.
    /// </summary>
    public static Stream Open() => new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
}
