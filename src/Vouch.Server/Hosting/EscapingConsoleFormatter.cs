using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Vouch.Server.Hosting;

/// <summary>
/// The server's console log, one line an entry (<c>TIMESTAMP LEVEL: CATEGORY[EVENT] MESSAGE EXCEPTION</c>, UTC,
/// no colours), with every control character of the message and the exception escaped by <see cref="LogText"/>: a
/// guard for client bytes that reach a log through a message Vouch did not write (a framework's exception quoting a
/// header or a form field), so that they can neither forge a line nor colour the terminal. A stack trace's own line
/// breaks become spaces.
/// </summary>
internal sealed class EscapingConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "vouch";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null) return;
        // Wall-clock time, even when a test gives the server a fake clock.
        textWriter.Write(TimeProvider.System.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ ", CultureInfo.InvariantCulture));
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
        textWriter.Write("] ");
        textWriter.Write(LogText.EscapeAll(message));
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write(' ');
            textWriter.Write(LogText.EscapeAll(exception.ToString().ReplaceLineEndings(" ")));
        }
        textWriter.Write(Environment.NewLine);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
