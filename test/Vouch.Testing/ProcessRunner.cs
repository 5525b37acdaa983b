using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Vouch.Testing;

/// <summary>The result of a finished process.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>This result, after failing the test with <paramref name="command"/> and its standard error unless it exited 0.</summary>
    public ProcessResult AssertSucceeded(string command)
    {
        Xunit.Assert.True(ExitCode == 0, $"{command} exited {ExitCode}: {StandardError}");
        return this;
    }

    /// <summary>As <see cref="AssertSucceeded(string)"/> for <c>vouch-server ARGUMENTS</c>.</summary>
    public ProcessResult AssertServerCommandSucceeded(IEnumerable<string> arguments) => AssertSucceeded("vouch-server " + string.Join(' ', arguments));
}

/// <summary>Runs programs to completion with a time limit, capturing their output.</summary>
public static partial class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null,
        string? workingDirectory = null, TimeSpan? timeout = null, string? standardInput = null)
    {
        using var process = Start(fileName, arguments, environment, workingDirectory, redirectInput: standardInput is not null);
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in {timeout ?? TimeSpan.FromSeconds(60)}: {await stderr}");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    public static Process Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string?>? environment = null,
        string? workingDirectory = null, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null) info.Environment.Remove(key);
                else info.Environment[key] = value;
            }
        }
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
    }

    /// <summary>Sends SIGTERM to <paramref name="pid"/>, so that it can shut down cleanly.</summary>
    public static void Terminate(int pid) => Signal(pid, "TERM");

    /// <summary>Sends <c>SIG<paramref name="name"/></c> (KILL, STOP, CONT) to <paramref name="pid"/>; a process already gone is not an error.</summary>
    public static void Signal(int pid, string name)
    {
        var signal = name switch { "KILL" => 9, "TERM" => 15, "STOP" => 19, "CONT" => 18, _ => throw new ArgumentException($"unknown signal {name}", nameof(name)) };
        if (Kill(pid, signal) != 0 && Marshal.GetLastPInvokeError() != 3 /* ESRCH */)
            throw new InvalidOperationException($"kill({pid}, SIG{name}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
