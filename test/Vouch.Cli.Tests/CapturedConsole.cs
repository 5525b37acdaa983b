using Vouch.Cli.Terminal;

namespace Vouch.Cli.Tests;

/// <summary>A console with no terminal attached that keeps what a command writes.</summary>
internal sealed class CapturedConsole : IConsole
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _errors = new();
    public TextWriter Out => _out;
    public TextWriter Errors => _errors;
    public bool IsInteractive => false;
    public string? ReadLine(string prompt) => null;
    public string? ReadSecret(string prompt) => null;
}
