using System.Runtime.InteropServices;

namespace Vouch.Cli;

/// <summary>The few libc calls the CLI needs.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "setsid")]
    public static partial int SetSid();
}
