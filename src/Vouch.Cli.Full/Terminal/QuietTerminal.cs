using System.Runtime.InteropServices;
using System.Text;

namespace Vouch.Cli.Terminal;

/// <summary>
/// Reads one line from the terminal on stdin with echo turned off <em>before</em> the prompt is shown, so a secret
/// typed the moment the prompt appears is never echoed (Console.ReadKey turns echo off only once it is reading).
/// The terminal's own settings are put back afterwards, also on Ctrl+C.
/// </summary>
internal static partial class QuietTerminal
{
    private const int StandardInput = 0;
    private const int SetNow = 0;           // TCSANOW
    private const uint Canonical = 0x2;     // ICANON: the kernel edits the line (backspace works)
    private const uint Echo = 0x8;          // ECHO
    private const uint IgnoreReturn = 0x80; // IGNCR
    private const uint ReturnIsNewline = 0x100; // ICRNL: Enter (CR) ends the line even after .NET's console cleared it
    private const int LocalFlagsOffset = 12; // struct termios: c_iflag, c_oflag, c_cflag, c_lflag (u32 each), c_line, c_cc[32], speeds: 60 bytes
    private const int TermiosSize = 64;
    private const int MaximumLine = 256;
    private const int Interrupted = 4;      // EINTR

    /// <summary>The line typed (without its newline); null when stdin is not a terminal or the input ended.</summary>
    public static string? ReadLine(TextWriter prompts, string prompt)
    {
        var saved = new byte[TermiosSize];
        if (GetAttributes(StandardInput, saved) != 0) return null;
        var quiet = (byte[])saved.Clone();
        var input = BitConverter.ToUInt32(quiet, 0);
        BitConverter.TryWriteBytes(quiet.AsSpan(0), (input & ~IgnoreReturn) | ReturnIsNewline);
        var flags = BitConverter.ToUInt32(quiet, LocalFlagsOffset);
        BitConverter.TryWriteBytes(quiet.AsSpan(LocalFlagsOffset), (flags & ~Echo) | Canonical);
        if (SetAttributes(StandardInput, SetNow, quiet) != 0) return null;
        using var restoreOnInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => SetAttributes(StandardInput, SetNow, saved));
        try
        {
            prompts.Write(prompt);
            prompts.Flush();
            return ReadLineFromStandardInput();
        }
        finally
        {
            SetAttributes(StandardInput, SetNow, saved);
            prompts.WriteLine();
        }
    }

    private static unsafe string? ReadLineFromStandardInput()
    {
        var line = new byte[MaximumLine];
        var length = 0;
        while (length < line.Length)
        {
            nint read;
            fixed (byte* into = &line[length]) read = Read(StandardInput, into, 1);
            if (read < 0 && Marshal.GetLastPInvokeError() == Interrupted) continue;
            if (read <= 0) return length == 0 ? null : Decode(line, length);
            if (line[length] is (byte)'\n' or (byte)'\r') break;
            length++;
        }
        var text = Decode(line, length);
        Array.Clear(line);
        return text;
    }

    private static string Decode(byte[] line, int length) => Encoding.UTF8.GetString(line, 0, length).TrimEnd('\r');

    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static partial int GetAttributes(int descriptor, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static partial int SetAttributes(int descriptor, int when, byte[] termios);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int descriptor, byte* buffer, nint count);
}
