using System.Text;

namespace Vouch.Testing;

/// <summary>A prompt the program writes to its terminal, and what the person types in answer (Enter is added).</summary>
public sealed record TerminalAnswer(string Prompt, string Typed);

/// <summary>
/// Runs a program on a pseudo-terminal, as a person at a shell would: stdin, stdout and stderr are a tty (through
/// util-linux <c>script</c>), so the program asks its questions, and each <see cref="TerminalAnswer"/> is typed when
/// its prompt appears. The output is what the terminal showed, stdout and stderr together.
/// </summary>
public static class PseudoTerminal
{
    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, IDictionary<string, string?> environment, string workingDirectory,
        IReadOnlyList<TerminalAnswer> answers, TimeSpan? timeout = null, Func<string, Task>? onOutput = null)
    {
        var command = string.Join(' ', new[] { fileName }.Concat(arguments).Select(Quote));
        using var process = ProcessRunner.Start("script", ["--quiet", "--flush", "--return", "--command", command, "/dev/null"],
            environment, workingDirectory, redirectInput: true);
        var screen = new StringBuilder();
        var changed = new SemaphoreSlim(0);
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (screen) screen.Append(buffer, 0, n);
                changed.Release();
            }
        });
        var stderr = process.StandardError.ReadToEndAsync();

        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var next = 0;
        var searchFrom = 0;
        try
        {
            while (!process.HasExited)
            {
                await Task.WhenAny(changed.WaitAsync(deadline.Token), process.WaitForExitAsync(deadline.Token));
                deadline.Token.ThrowIfCancellationRequested();
                string text;
                lock (screen) text = screen.ToString();
                if (onOutput is not null) await onOutput(text);
                if (next < answers.Count && text.IndexOf(answers[next].Prompt, searchFrom, StringComparison.Ordinal) is var at and >= 0)
                {
                    searchFrom = at + answers[next].Prompt.Length;
                    // A tty in canonical mode ends a line at carriage return; the program sees "\n".
                    await process.StandardInput.WriteAsync(answers[next].Typed + "\r");
                    await process.StandardInput.FlushAsync();
                    next++;
                }
            }
            await process.WaitForExitAsync(deadline.Token);
            await reading.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            lock (screen) throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish on its terminal in time; it showed:\n{screen}");
        }
        finally
        {
            process.StandardInput.Close();
        }
        var errors = await stderr;
        lock (screen) return new ProcessResult(process.ExitCode, screen.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), errors);
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
