using System.Security.Cryptography;
using Vouch.FidoSimulator.Ctap;
using Xunit;

namespace Vouch.FidoSimulator.Tests;

public sealed class ClientPinTests
{
    private const string Pin = "4321";

    public static TheoryData<int, byte?> Ways => new()
    {
        { 2, (byte)0x01 },
        { 2, null },
        { 1, (byte)0x01 },
        { 1, null },
    };

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task The_right_PIN_gives_a_token_whose_pinUvAuthParam_makes_a_user_verified_credential(int version, byte? permissions)
    {
        await using var key = await StartAsync(Pin);
        using var protocol = Protocol(version);

        var (reply, token) = await Platform.GetPinTokenAsync(key.Client, protocol, Pin, permissions);
        Assert.Equal(CtapStatus.Ok, reply.Status);
        var clientDataHash = SHA256.HashData("register"u8);
        var made = MadeCredential.From(await Platform.MakeCredentialAsync(
            key.Client, clientDataHash, pinUvAuthParam: protocol.Authenticate(token!, clientDataHash), protocol: version));

        Assert.Equal(0x45, made.Flags); // UP | UV | AT
    }

    [Fact]
    public async Task A_pinUvAuthParam_made_with_another_key_is_PIN_AUTH_INVALID()
    {
        await using var key = await StartAsync(Pin);
        using var protocol = Protocol(2);
        await Platform.GetPinTokenAsync(key.Client, protocol, Pin, permissions: 0x01);
        var clientDataHash = SHA256.HashData("register"u8);

        var reply = await Platform.MakeCredentialAsync(key.Client, clientDataHash, pinUvAuthParam: protocol.Authenticate(new byte[32], clientDataHash));

        Assert.Equal(CtapStatus.PinAuthInvalid, reply.Status);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task A_wrong_PIN_is_PIN_INVALID_and_costs_a_retry(int version)
    {
        await using var key = await StartAsync(Pin);
        using var protocol = Protocol(version);

        var (reply, _) = await Platform.GetPinTokenAsync(key.Client, protocol, "0000", permissions: 0x01);

        Assert.Equal(CtapStatus.PinInvalid, reply.Status);
        Assert.Equal(7, Platform.PinRetries(await Platform.ClientPinAsync(key.Client, version, 0x01)));
    }

    [Fact]
    public async Task A_wrong_PIN_on_the_last_retry_is_PIN_BLOCKED_and_so_is_the_right_PIN_after_it()
    {
        await using var key = await StartAsync(Pin, retries: 1);
        using var protocol = Protocol(2);

        var (wrong, _) = await Platform.GetPinTokenAsync(key.Client, protocol, "0000", permissions: 0x01);
        var (right, _) = await Platform.GetPinTokenAsync(key.Client, protocol, Pin, permissions: 0x01);

        Assert.Equal(CtapStatus.PinBlocked, wrong.Status);
        Assert.Equal(CtapStatus.PinBlocked, right.Status);
        Assert.Equal(0, Platform.PinRetries(await Platform.ClientPinAsync(key.Client, 2, 0x01)));
    }

    [Fact]
    public async Task Three_wrong_PINs_in_a_row_are_PIN_AUTH_BLOCKED()
    {
        await using var key = await StartAsync(Pin);
        using var protocol = Protocol(2);

        for (var i = 0; i < 2; i++)
            Assert.Equal(CtapStatus.PinInvalid, (await Platform.GetPinTokenAsync(key.Client, protocol, "0000")).Reply.Status);
        var (third, _) = await Platform.GetPinTokenAsync(key.Client, protocol, "0000");

        Assert.Equal(CtapStatus.PinAuthBlocked, third.Status);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task Without_a_PIN_getPinToken_is_PIN_NOT_SET(int version)
    {
        await using var key = await StartAsync(pin: null);
        using var protocol = Protocol(version);

        var (reply, _) = await Platform.GetPinTokenAsync(key.Client, protocol, Pin);

        Assert.Equal(CtapStatus.PinNotSet, reply.Status);
    }

    private static Task<SimulatedKey> StartAsync(string? pin, int retries = 8) =>
        SimulatedKey.StartAsync(new SimulatorOptions { Pin = pin, PinRetries = retries, TouchAfter = TimeSpan.Zero });

    private static PinUvAuthProtocol Protocol(int version) => version == 1 ? new PinUvAuthProtocolOne() : new PinUvAuthProtocolTwo();
}
