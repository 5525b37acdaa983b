using System.Text;

namespace Vouch.Cli.Aws;

/// <summary>
/// The parts of an HTTP/1.1 request head that vouch's own loopback responders look at
/// (<see cref="ContainerCredentialsServer"/>, <see cref="ConsoleHandoff"/>): method, target as sent, path (without the
/// query) and the one Authorization header's bytes. Strict: CRLF lines, <c>METHOD SP /target SP HTTP/1.x</c>,
/// <c>name: value</c> headers, no line folding, at most one Authorization header.
/// </summary>
internal readonly record struct LoopbackHttpRequest(string Method, string Target, string Path, byte[]? Authorization)
{
    /// <summary>Parses <paramref name="head"/>: everything before the blank line that ends it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out LoopbackHttpRequest request)
    {
        request = default;
        var lineEnd = head.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? head : head[..lineEnd];
        if (!TryParseRequestLine(requestLine, out var method, out var target, out var path)) return false;
        byte[]? authorization = null;
        var rest = lineEnd < 0 ? ReadOnlySpan<byte>.Empty : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = lineEnd < 0 ? rest : rest[..lineEnd];
            rest = lineEnd < 0 ? ReadOnlySpan<byte>.Empty : rest[(lineEnd + 2)..];
            var colon = line.IndexOf((byte)':');
            // A bare CR, LF or NUL inside a line is how requests get smuggled: refused.
            if (colon <= 0 || !IsToken(line[..colon]) || line.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0) return false;
            if (!Ascii.EqualsIgnoreCase(line[..colon], "Authorization"u8)) continue;
            if (authorization is not null) return false;
            authorization = line[(colon + 1)..].Trim(" \t"u8).ToArray();
        }
        request = new LoopbackHttpRequest(method, target, path, authorization);
        return true;
    }

    private static bool TryParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out string path)
    {
        method = target = path = "";
        var first = line.IndexOf((byte)' ');
        var last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last <= first + 1) return false;
        var sent = line[(first + 1)..last];
        var version = line[(last + 1)..];
        if (!IsToken(line[..first]) || sent.IndexOf((byte)' ') >= 0 || sent[0] != (byte)'/' || !Ascii.IsValid(sent)) return false;
        if (!version.SequenceEqual("HTTP/1.1"u8) && !version.SequenceEqual("HTTP/1.0"u8)) return false;
        method = Encoding.ASCII.GetString(line[..first]);
        target = Encoding.ASCII.GetString(sent);
        var query = sent.IndexOf((byte)'?');
        path = Encoding.ASCII.GetString(query < 0 ? sent : sent[..query]);
        return true;
    }

    /// <summary>An RFC 9110 token: visible ASCII except separators.</summary>
    private static bool IsToken(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) return false;
        foreach (var b in value)
        {
            if (b <= 32 || b >= 127 || "\"(),/:;<=>?@[\\]{}"u8.Contains(b)) return false;
        }
        return true;
    }
}
