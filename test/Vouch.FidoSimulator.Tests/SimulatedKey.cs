using Vouch.FidoSimulator.Hid;

namespace Vouch.FidoSimulator.Tests;

/// <summary>A simulator on a socket in its own temporary directory, with a connected client that has done INIT.</summary>
public sealed class SimulatedKey : IAsyncDisposable
{
    private readonly string _directory;

    private SimulatedKey(string directory, SimulatedDevice device, HidClient client)
    {
        _directory = directory;
        Device = device;
        Client = client;
    }

    public SimulatedDevice Device { get; }

    public HidClient Client { get; }

    /// <summary>Touch comes at once unless the options say otherwise, so tests do not wait for it.</summary>
    public static async Task<SimulatedKey> StartAsync(SimulatorOptions? options = null)
    {
        var directory = Directory.CreateTempSubdirectory("vouch-fido-").FullName;
        var device = SimulatedDevice.Start(Path.Combine(directory, "key.sock"), options ?? new SimulatorOptions { TouchAfter = TimeSpan.Zero });
        var client = await HidClient.ConnectAsync(device.SocketPath);
        await client.InitAsync();
        return new SimulatedKey(directory, device, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Device.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
