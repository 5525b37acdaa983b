using System.Net;

namespace Vouch.Server.Hosting;

/// <summary>
/// What the host of a <c>--listen</c> URL means: every address (<c>0.0.0.0</c>, <c>::</c>, <c>*</c>, <c>+</c>),
/// <c>localhost</c>, or one IP address. A host name is none of these (null from <see cref="Parse"/>).
/// </summary>
internal sealed record ListenHost(bool AnyAddress, bool Localhost, IPAddress? Address)
{
    public static ListenHost? Parse(Uri listen)
    {
        var host = listen.Host.Trim('[', ']');
        if (host is "0.0.0.0" or "::" or "*" or "+") return new ListenHost(AnyAddress: true, Localhost: false, null);
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return new ListenHost(AnyAddress: false, Localhost: true, null);
        return IPAddress.TryParse(host, out var address) ? new ListenHost(AnyAddress: false, Localhost: false, address) : null;
    }
}
