using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests.Cluster;

/// <summary>
/// A real Ceph RGW for the cluster's tests, started on first need (it costs ~15 s) and only once a class: it trusts
/// the cluster's test CA (<c>RGW_TRUSTED_CA</c> of <c>test/peers/ceph/start-ceph.sh</c>), so it fetches the
/// discovery document and JWKS from the cluster's issuer, nginx on <c>https://localhost:PORT</c>, as AWS would,
/// from whichever instance nginx picks. The issuer is registered with a role for its audience.
/// </summary>
public sealed class ClusterRgw : IAsyncLifetime
{
    private readonly SemaphoreSlim _start = new(1, 1);
    private CephRgw? _rgw;
    private string? _role;

    /// <summary>RGW, and the ARN of a role that any token of <paramref name="cluster"/>'s issuer for <paramref name="audience"/> may assume.</summary>
    public async Task<(CephRgw Rgw, string Role)> StartAsync(VouchCluster cluster, string audience)
    {
        await _start.WaitAsync();
        try
        {
            if (_rgw is null)
            {
                var rgw = await CephRgw.StartAsync(trustedCa: cluster.Pki.CaFile);
                _rgw = rgw;
                var host = cluster.Issuer["https://".Length..];
                await rgw.RegisterIssuerAsync(cluster.Issuer, audience);
                _role = await rgw.CreateRoleAsync("VouchCluster", cluster.Issuer, $"{{\"StringEquals\":{{\"{host}:aud\":\"{audience}\"}}}}");
            }
            return (_rgw, _role!);
        }
        finally
        {
            _start.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_rgw is not null) await _rgw.DisposeAsync();
        _start.Dispose();
    }
}
