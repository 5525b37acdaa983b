namespace Vouch.Cli.Terminal;

/// <summary>Console I/O behind an interface: data goes to <see cref="Out"/>, everything for people to <see cref="Errors"/>.</summary>
public interface IConsole
{
    TextWriter Out { get; }
    TextWriter Errors { get; }

    /// <summary>True when a person can answer prompts (stdin and stderr are terminals).</summary>
    bool IsInteractive { get; }

    /// <summary>Shows <paramref name="prompt"/> on <see cref="Errors"/> and reads a line; null when no terminal is attached.</summary>
    string? ReadLine(string prompt);

    /// <summary>Reads a line without echoing it (PINs); null when no terminal is attached.</summary>
    string? ReadSecret(string prompt);

    /// <summary>The next line of standard input when it is not a terminal (a pipe or a file); null when it is a terminal or at its end.</summary>
    string? ReadRedirectedLine();
}

/// <summary>The process's console.</summary>
public sealed class SystemConsole : IConsole
{
    public TextWriter Out => Console.Out;
    public TextWriter Errors => Console.Error;
    public bool IsInteractive => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    public string? ReadLine(string prompt)
    {
        if (!IsInteractive) return null;
        Console.Error.Write(prompt);
        return Console.ReadLine();
    }

    public string? ReadSecret(string prompt) => IsInteractive ? QuietTerminal.ReadLine(Console.Error, prompt) : null;

    public string? ReadRedirectedLine() => Console.IsInputRedirected ? Console.In.ReadLine() : null;
}
