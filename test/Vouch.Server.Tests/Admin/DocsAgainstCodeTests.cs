using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Vouch.Server.Admin;
using Vouch.Server.Audit;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Admin;

/// <summary>
/// What the docs give in full (audit types, the commands that need the key-encryption key, the output of
/// <c>aws setup</c>) against the code.
/// </summary>
public sealed partial class DocsAgainstCodeTests
{
    private static string Read(params string[] path) => File.ReadAllText(Path.Combine([RepositoryPaths.Root, .. path]));

    [Fact]
    public void Audit_md_lists_every_stable_audit_type_the_server_writes()
    {
        var docs = Read("docs", "audit.md");
        var list = docs[..docs.IndexOf("the actor", StringComparison.Ordinal)];
        var types = typeof(AuditEventTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Where(t => t.Contains('.', StringComparison.Ordinal));

        Assert.All(types, type => Assert.Contains($"`{type}`", list, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs", "server.md")]
    [InlineData("docs", "audit.md")]
    public void Every_list_of_the_commands_that_need_the_key_encryption_key_names_unlock_promote_and_demote(params string[] path)
    {
        var docs = Read(path).ReplaceLineEndings(" ");

        Assert.Contains("`users disable|enable|promote|demote`", docs, StringComparison.Ordinal);
        Assert.Contains("`credentials revoke|unlock`", docs, StringComparison.Ordinal);
    }

    [GeneratedRegex("```(?:bash|yaml|hcl)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [Theory]
    [InlineData(0, "cli")]
    [InlineData(1, "cloudformation")]
    [InlineData(2, "terraform")]
    public async Task The_aws_setup_examples_in_aws_admin_md_are_its_real_output(int block, string format)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await ServerCommandLine.InvokeAsync(
            ["aws", "setup", "--format", format, "--issuer", "https://vouch.example.com", "--restrict-domain", "example.com",
             "--thumbprint", "1b511abead59c6ce207077c0bf0e0043b1382612"],
            new CommandContext(output, error, new Hashtable()));

        Assert.True(exit == ExitCodes.Ok, error.ToString());
        Assert.Equal(CodeBlock().Matches(Read("docs", "aws-admin.md"))[block].Groups[1].Value, output.ToString());
    }
}
