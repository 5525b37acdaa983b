using Vouch.Testing;
using Xunit;

namespace Vouch.EndToEnd.Tests;

/// <summary>
/// Ceph RGW as a validating STS: it fetches the Vouch server's discovery document and JWKS, checks the token's
/// signature, issuer, audience and expiry, and applies the trust policies of the AWS documentation.
/// </summary>
public sealed class RgwEndToEndTests(RgwWorld world) : IClassFixture<RgwWorld>
{
    /// <summary>Runs vouch for <paramref name="user"/> with RGW as its STS.</summary>
    private Task<ProcessResult> VouchAsync(CliSandbox user, params string[] arguments) => world.VouchAsync(user, arguments);

    [Fact]
    public async Task Rgw_accepts_the_token_and_its_credentials_work_for_s3()
    {
        var bucket = "vouch-" + Guid.NewGuid().ToString("N")[..12];

        var make = await VouchAsync(world.Alice, "exec", "--role", world.AudienceRole, "--", "aws", "--endpoint-url", world.Rgw.Endpoint, "s3", "mb", $"s3://{bucket}");
        var list = await VouchAsync(world.Alice, "exec", "--role", world.AudienceRole, "--", "aws", "--endpoint-url", world.Rgw.Endpoint, "s3", "ls");

        Assert.True(make.ExitCode == 0, make.StandardError + make.StandardOutput);
        Assert.True(list.ExitCode == 0, list.StandardError);
        Assert.Contains(bucket, list.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_for_one_email_admits_that_user_and_refuses_another()
    {
        var alice = await VouchAsync(world.Alice, "credential", "aws", "--role", world.AliceRole);
        var bob = await VouchAsync(world.Bob, "credential", "aws", "--role", world.AliceRole);

        Assert.True(alice.ExitCode == 0, alice.StandardError);
        Assert.Equal(6, bob.ExitCode);
        Assert.Empty(bob.StandardOutput);
        Assert.Contains("bob@other.org", bob.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_for_a_domain_admits_its_users_and_refuses_another_domain()
    {
        var alice = await VouchAsync(world.Alice, "credential", "aws", "--role", world.DomainRole);
        var bob = await VouchAsync(world.Bob, "credential", "aws", "--role", world.DomainRole);

        Assert.True(alice.ExitCode == 0, alice.StandardError);
        Assert.Equal(6, bob.ExitCode);
        Assert.Empty(bob.StandardOutput);
    }

    [Fact]
    public async Task A_domain_role_generated_by_aws_setup_and_applied_with_the_aws_cli_admits_that_domain_only()
    {
        // RGW's ARNs carry no account id; the provider for this issuer already exists, and the script finds it.
        var generated = await world.Vouch.AdminAsync("aws", "setup", "--format", "cli", "--issuer", world.Vouch.Issuer,
            "--account-id", "", "--role-name", "VouchGeneratedDomain", "--restrict-domain", "example.com");
        Assert.True(generated.ExitCode == 0, generated.StandardError);

        var applied = await ProcessRunner.RunAsync("bash", ["-c", generated.StandardOutput], world.Rgw.AdminEnvironment(), timeout: TimeSpan.FromSeconds(120));
        var alice = await VouchAsync(world.Alice, "credential", "aws", "--role", "arn:aws:iam:::role/VouchGeneratedDomain");
        var bob = await VouchAsync(world.Bob, "credential", "aws", "--role", "arn:aws:iam:::role/VouchGeneratedDomain");

        Assert.True(applied.ExitCode == 0, applied.StandardError + applied.StandardOutput);
        Assert.Contains("vouch setup aws --role arn:aws:iam:::role/VouchGeneratedDomain", applied.StandardError, StringComparison.Ordinal);
        Assert.True(alice.ExitCode == 0, alice.StandardError);
        Assert.Contains("\"AccessKeyId\"", alice.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(6, bob.ExitCode);
        Assert.Empty(bob.StandardOutput);
    }

    [Fact]
    public async Task A_token_from_an_issuer_rgw_does_not_trust_is_refused()
    {
        // Another Vouch server, never registered with RGW, whose user claims the same email.
        await using var rogue = await VouchWorld.StartAsync();
        using var mallory = new CliSandbox();
        await rogue.EnrollAndLoginAsync(mallory, "alice@example.com");

        var result = await VouchAsync(mallory, "credential", "aws", "--role", world.AudienceRole);

        Assert.Equal(6, result.ExitCode);
        Assert.Empty(result.StandardOutput);
    }
}

/// <summary>One Ceph RGW, one Vouch server registered with it, three roles and two logged-in users, shared by the tests.</summary>
public sealed class RgwWorld : IAsyncLifetime
{
    public CliSandbox Alice { get; } = new();
    public CliSandbox Bob { get; } = new();
    public CephRgw Rgw { get; private set; } = null!;
    public VouchWorld Vouch { get; private set; } = null!;
    public string AudienceRole { get; private set; } = null!;
    public string AliceRole { get; private set; } = null!;
    public string DomainRole { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var rgw = CephRgw.StartAsync();
        Vouch = await VouchWorld.StartAsync();
        Rgw = await rgw;
        var issuer = Vouch.Issuer;
        var host = issuer["http://".Length..];
        await Rgw.RegisterIssuerAsync(issuer, audience: host);
        AudienceRole = await Rgw.CreateRoleAsync("VouchAudience", issuer, $"{{\"StringEquals\":{{\"{host}:aud\":\"{host}\"}}}}");
        AliceRole = await Rgw.CreateRoleAsync("VouchAlice", issuer, $"{{\"StringEquals\":{{\"{host}:sub\":\"alice@example.com\"}}}}");
        DomainRole = await Rgw.CreateRoleAsync("VouchExampleCom", issuer, $"{{\"StringLike\":{{\"{host}:sub\":\"*@example.com\"}}}}");
        await Vouch.EnrollAndLoginAsync(Alice, "alice@example.com");
        await Vouch.EnrollAndLoginAsync(Bob, "bob@other.org");
    }

    public async Task DisposeAsync()
    {
        Alice.Dispose();
        Bob.Dispose();
        if (Vouch is not null) await Vouch.DisposeAsync();
        if (Rgw is not null) await Rgw.DisposeAsync();
    }

    /// <summary>Runs vouch for <paramref name="user"/> with RGW as its STS.</summary>
    public Task<ProcessResult> VouchAsync(CliSandbox user, params string[] arguments)
    {
        var environment = user.Environment();
        environment["AWS_ENDPOINT_URL_STS"] = Rgw.Endpoint;
        environment["AWS_CONFIG_FILE"] = "/dev/null";
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        return ProcessRunner.RunAsync(CliSandbox.Binary, arguments, environment, user.Home, TimeSpan.FromSeconds(90), standardInput: "");
    }
}
