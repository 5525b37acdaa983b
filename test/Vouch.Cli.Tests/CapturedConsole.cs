using Vouch.Cli.Terminal;

namespace Vouch.Cli.Tests;

/// <summary>A console with no terminal attached that keeps what a command writes; <paramref name="input"/> is its standard input.</summary>
internal sealed class CapturedConsole(string? input = null) : IConsole
{
    private readonly StringReader? _input = input is null ? null : new StringReader(input);
    private readonly StringWriter _out = new();
    private readonly StringWriter _errors = new();
    public TextWriter Out => _out;
    public TextWriter Errors => _errors;
    public bool IsInteractive => false;
    public string? ReadLine(string prompt) => null;
    public string? ReadSecret(string prompt) => null;
    public string? ReadRedirectedLine() => _input?.ReadLine();
}
