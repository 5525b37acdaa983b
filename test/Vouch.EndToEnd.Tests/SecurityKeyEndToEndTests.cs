using Vouch.FidoSimulator;
using Vouch.FidoSimulator.Hid;
using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// The YubiKey path as a person runs it: the published <c>vouch</c> on a pseudo-terminal, the real libfido2 talking
/// CTAPHID to the simulated key (<c>VOUCH_FIDO_DEVICE_SOCKET</c>), and a published server that accepts only keys whose
/// attestation chains to the simulator's root (<c>--attestation-roots</c>), through the intermediate the key sends.
/// </summary>
public sealed partial class SecurityKeyEndToEndTests : IAsyncLifetime
{
    private const string Pin = "482916";
    private const string Email = "alice@example.com";
    private static readonly TerminalAnswer TypePin = new("Security key PIN: ", Pin);

    private readonly TemporaryDirectory _directory = new("vouch-e2e-key-");
    private readonly List<SimulatedDevice> _devices = [];
    private readonly CliSandbox _user = new();
    private VouchWorld? _world;

    private string KeySocket => _directory.File("key.sock");
    private string RootFile => _directory.File("simulator-root.pem");
    private VouchWorld World => _world ?? throw new InvalidOperationException("the server is not started");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _user.Dispose();
        if (_world is not null) await _world.DisposeAsync();
        foreach (var device in _devices) await device.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Enroll_and_login_with_a_PIN_on_a_terminal_give_a_token_that_jose_verifies()
    {
        await StartAsync(new SimulatorOptions { Pin = Pin });

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)], TypePin);
        var login = await OnTerminalAsync(["login"], TypePin);
        var token = await _user.RunAsync(softwareKey: false, "credential", "token");

        Assert.True(enroll.ExitCode == 0, enroll.StandardOutput);
        Assert.Contains("using the SIMULATED security key", enroll.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Touch your security key...", enroll.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Pin, enroll.StandardOutput, StringComparison.Ordinal); // typed without echo
        Assert.True(login.ExitCode == 0, login.StandardOutput);
        Assert.Contains($"Logged in as {Email}", login.StandardOutput, StringComparison.Ordinal);
        Assert.True(token.ExitCode == 0, token.StandardError);
        var verdict = await NodePeers.VerifyJwtAsync(token.StandardOutput.Trim(), World.Issuer + "/.well-known/jwks.json", World.Issuer, World.Issuer["http://".Length..]);
        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());
        Assert.Equal(Email, verdict.GetProperty("payload").GetProperty("sub").GetString());
        // The attestation chained to the configured roots: the key is proven hardware, and the PIN was asked.
        Assert.Equal("""["hwk","pin"]""", verdict.GetProperty("payload").GetProperty("amr").GetRawText());
    }

    [Fact]
    public async Task The_same_key_sending_only_its_leaf_certificate_is_refused_by_the_server()
    {
        await StartAsync(new SimulatorOptions { Pin = Pin, PresentsIntermediate = false });

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)], TypePin);

        Assert.Equal(8, enroll.ExitCode);
        Assert.Contains("vouch: this server accepts only the security key models its administrator allows: this key was refused because " +
            "its attestation certificate does not chain to a trusted root (attestation_refused)", enroll.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_that_is_not_on_the_aaguid_list_is_refused_and_audited()
    {
        var aaguid = new Guid("0d1e5a7e-0000-4000-8000-00000000b00c");
        File.WriteAllText(_directory.File("models.txt"), "# only the model we bought\na25342c0-3cdc-4414-8e46-f4807fca511c\n");
        await StartAsync(new SimulatorOptions { Pin = Pin, Aaguid = aaguid }, "--attestation-aaguids", _directory.File("models.txt"));

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)], TypePin);
        var audit = await World.AdminAsync("audit", "--json");

        Assert.Equal(8, enroll.ExitCode);
        Assert.Contains($"this key was refused because its model (AAGUID {aaguid}) is not on the server's list (attestation_refused)", enroll.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(aaguid.ToString(), audit.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("CN=Vouch FIDO Simulator Attestation", audit.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_PIN_says_how_many_tries_are_left()
    {
        await StartAsync(new SimulatorOptions { Pin = Pin });

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)], new TerminalAnswer("Security key PIN: ", "111111"));

        Assert.Equal(4, enroll.ExitCode);
        Assert.Contains("vouch: wrong PIN: 7 tries left before the security key blocks its PIN", enroll.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blocked_PIN_says_the_key_must_be_reset()
    {
        await StartAsync(new SimulatorOptions { Pin = Pin, PinRetries = 0 });

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)], TypePin);

        Assert.Equal(4, enroll.ExitCode);
        Assert.Contains("vouch: the security key's PIN is blocked after too many wrong PINs: reset its FIDO application (ykman fido reset), which erases its credentials, and enroll again",
            enroll.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_a_PIN_says_how_to_set_one()
    {
        await StartAsync(new SimulatorOptions { Pin = null });

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)]);

        Assert.Equal(4, enroll.ExitCode);
        Assert.Contains("vouch: this security key has no PIN yet, and the server requires one: set it with 'ykman fido access change-pin'",
            enroll.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_touch_that_never_comes_times_out_with_a_clear_message()
    {
        await StartAsync(new SimulatorOptions { Pin = Pin, TouchAfter = null, TouchTimeout = TimeSpan.FromSeconds(1) });

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)], TypePin);

        Assert.Equal(4, enroll.ExitCode);
        Assert.Contains("vouch: timed out waiting for a touch: run the command again and touch the key when it blinks", enroll.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_pulled_out_while_waiting_for_its_touch_is_reported_and_nothing_is_enrolled()
    {
        var device = await StartAsync(new SimulatorOptions { Pin = Pin, TouchAfter = null });
        var unplugged = false;

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)], [TypePin], async screen =>
        {
            if (unplugged || !screen.Contains("Touch your security key", StringComparison.Ordinal)) return;
            unplugged = true;
            await device.Authenticator.WaitingForTouch.WaitAsync(TimeSpan.FromSeconds(30));
            device.Unplug();
        });
        var users = await World.AdminAsync("users", "list");

        Assert.Equal(4, enroll.ExitCode);
        Assert.Contains("vouch: lost contact with the security key (was it removed?): reinsert it and run the command again", enroll.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Email, users.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_terminal_a_key_with_a_PIN_fails_at_once_instead_of_hanging()
    {
        await StartAsync(new SimulatorOptions { Pin = Pin, TouchAfter = null });
        var started = System.Diagnostics.Stopwatch.StartNew();

        var enroll = await ProcessRunner.RunAsync(CliSandbox.Binary, ["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)],
            KeyEnvironment(), _user.Home, TimeSpan.FromSeconds(30), standardInput: "");

        Assert.Equal(4, enroll.ExitCode);
        Assert.Contains("vouch: the security key's PIN is needed but no terminal is attached to ask for it: run this command in a terminal", enroll.StandardError, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task With_two_keys_the_person_picks_one_to_enroll_and_login_finds_it_alone()
    {
        await StartAsync(new SimulatorOptions { Pin = Pin });
        var spare = _directory.File("spare.sock");
        _devices.Add(SimulatedDevice.Start(spare, new SimulatorOptions { Pin = "975310" }));
        var both = $"{spare}:{KeySocket}";

        var enroll = await OnTerminalAsync(["enroll", "--server", World.Issuer, "--invite", await World.InviteAsync(Email)],
            [new TerminalAnswer("Which one do you want to enroll? [1-2]: ", "2"), TypePin], socket: both);
        var login = await OnTerminalAsync(["login"], [TypePin], socket: both);

        Assert.True(enroll.ExitCode == 0, enroll.StandardOutput);
        Assert.Contains($"2) simulated key at {KeySocket}", enroll.StandardOutput, StringComparison.Ordinal);
        Assert.True(login.ExitCode == 0, login.StandardOutput);
        Assert.DoesNotContain("Which one", login.StandardOutput, StringComparison.Ordinal);
    }

    private async Task<SimulatedDevice> StartAsync(SimulatorOptions options, params string[] serveArguments)
    {
        var device = SimulatedDevice.Start(KeySocket, options);
        _devices.Add(device);
        await File.WriteAllTextAsync(RootFile, device.Authenticator.Attestation.RootPem);
        _world = await VouchWorld.StartAsync(serveArguments: ["--attestation-roots", RootFile, .. serveArguments]);
        return device;
    }

    private Dictionary<string, string?> KeyEnvironment(string? socket = null)
    {
        var environment = _user.Environment(softwareKey: false);
        environment["VOUCH_FIDO_DEVICE_SOCKET"] = socket ?? KeySocket;
        environment["TERM"] = "xterm";
        return environment;
    }

    private Task<ProcessResult> OnTerminalAsync(string[] arguments, params TerminalAnswer[] answers) => OnTerminalAsync(arguments, answers, onOutput: null);

    private Task<ProcessResult> OnTerminalAsync(string[] arguments, TerminalAnswer[] answers, Func<string, Task>? onOutput = null, string? socket = null) =>
        PseudoTerminal.RunAsync(CliSandbox.Binary, arguments, KeyEnvironment(socket), _user.Home, answers, TimeSpan.FromSeconds(60), onOutput);
}
