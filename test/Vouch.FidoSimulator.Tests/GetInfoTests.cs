using System.Formats.Cbor;
using Xunit;

namespace Vouch.FidoSimulator.Tests;

public sealed class GetInfoTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("1234", true)]
    public async Task GetInfo_states_versions_aaguid_options_and_pin_protocols(string? pin, bool clientPin)
    {
        var aaguid = Guid.NewGuid();
        await using var key = await SimulatedKey.StartAsync(new SimulatorOptions { Pin = pin, Aaguid = aaguid, TouchAfter = TimeSpan.Zero });

        var info = (await key.Client.CborAsync(Platform.GetInfo)).Map();

        Assert.Equal(["FIDO_2_0", "FIDO_2_1"], Array(info[1], r => r.ReadTextString()));
        Assert.Equal(aaguid.ToByteArray(bigEndian: true), new CborReader(info[3]).ReadByteString());
        var options = Options(info[4]);
        Assert.True(options["rk"]);
        Assert.True(options["up"]);
        Assert.Equal(clientPin, options["clientPin"]);
        Assert.False(options.ContainsKey("uv"));
        Assert.Equal([2, 1], Array(info[6], r => r.ReadInt32()));
    }

    private static List<T> Array<T>(byte[] encoded, Func<CborReader, T> read)
    {
        var reader = new CborReader(encoded);
        var items = new List<T>();
        reader.ReadStartArray();
        while (reader.PeekState() != CborReaderState.EndArray)
            items.Add(read(reader));
        return items;
    }

    private static Dictionary<string, bool> Options(byte[] encoded)
    {
        var reader = new CborReader(encoded);
        var options = new Dictionary<string, bool>();
        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
            options[reader.ReadTextString()] = reader.ReadBoolean();
        return options;
    }
}
