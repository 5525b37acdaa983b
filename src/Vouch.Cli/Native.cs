using System.Runtime.InteropServices;

namespace Vouch.Cli;

/// <summary>The few libc calls the CLI needs.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "setsid")]
    public static partial int SetSid();

    /// <summary>access(2) with X_OK: 0 when this user may execute <paramref name="path"/>.</summary>
    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int AccessExecute(string path, int mode = 1);
}
