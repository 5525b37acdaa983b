using System.Text;

namespace Vouch.Server.Aws;

/// <summary>The forms <c>vouch-server aws setup</c> prints its material in.</summary>
public enum AwsSetupFormat
{
    /// <summary>A bash script of AWS CLI commands.</summary>
    Cli,

    /// <summary>A CloudFormation template (YAML).</summary>
    CloudFormation,

    /// <summary>Terraform (HCL) for the AWS provider.</summary>
    Terraform,
}

/// <summary>
/// Renders an <see cref="AwsRoleSpec"/> as ready-to-run material. Every format carries the same trust policy;
/// where the account id is not given, each looks it up its own way (the CLI asks STS, CloudFormation uses
/// <c>${AWS::AccountId}</c>, Terraform <c>aws_caller_identity</c>).
/// </summary>
public static class AwsSetupFormats
{
    // Upper case: emails and domains are lowercase, so the marker cannot come from them.
    private const string AccountMarker = "VOUCH-ACCOUNT-ID-MARKER";

    public static string Render(AwsRoleSpec spec, AwsSetupFormat format) => format switch
    {
        AwsSetupFormat.Cli => Cli(spec),
        AwsSetupFormat.CloudFormation => CloudFormation(spec),
        AwsSetupFormat.Terraform => Terraform(spec),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    private static string Cli(AwsRoleSpec spec)
    {
        var script = new StringBuilder();
        script.AppendLine("#!/usr/bin/env bash");
        script.AppendLine("# AWS setup for a Vouch issuer, from 'vouch-server aws setup'.");
        script.AppendLine($"#   issuer {ShellQuote(spec.Issuer).Replace('\n', ' ')}, audience {ShellQuote(spec.Audience).Replace('\n', ' ')}");
        script.AppendLine("# Run with the credentials of an IAM administrator. Creates the OIDC provider (once per account) and the role.");
        script.AppendLine("set -euo pipefail");
        script.AppendLine(spec.AccountId is null
            ? "ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)"
            : "ACCOUNT_ID=" + ShellQuote(spec.AccountId));
        // Idempotent for the provider: a second role for the same issuer finds it there.
        script.AppendLine($"if ! aws iam get-open-id-connect-provider --open-id-connect-provider-arn {WithAccount(spec.ProviderArn(AccountMarker))} >/dev/null 2>&1; then");
        script.AppendLine($"  aws iam create-open-id-connect-provider --url {ShellQuote(spec.Issuer)} --client-id-list {ShellQuote(spec.Audience)} --thumbprint-list {spec.Thumbprint}");
        script.AppendLine("fi");
        var trust = spec.TrustPolicyJson(spec.ProviderArn(AccountMarker));
        script.AppendLine($"aws iam create-role --role-name {ShellQuote(spec.RoleName)} --max-session-duration {spec.MaxSessionDuration} \\");
        script.AppendLine($"  --assume-role-policy-document {WithAccount(trust)}");
        foreach (var policy in spec.PolicyArns)
            script.AppendLine($"aws iam attach-role-policy --role-name {ShellQuote(spec.RoleName)} --policy-arn {ShellQuote(policy)}");
        script.AppendLine("echo \"Role created. Give your developers this line:\" >&2");
        script.AppendLine($"echo \"  vouch setup aws --role arn:aws:iam::$ACCOUNT_ID:role/{spec.RoleName}\" >&2");
        return script.ToString();
    }

    /// <summary><paramref name="text"/> quoted for bash, with the account marker replaced by <c>$ACCOUNT_ID</c>.</summary>
    private static string WithAccount(string text) => string.Join("\"$ACCOUNT_ID\"", text.Split(AccountMarker).Select(ShellQuote));

    private static string CloudFormation(AwsRoleSpec spec)
    {
        var federated = spec.AccountId is null
            ? $"!Sub \"arn:aws:iam::${{AWS::AccountId}}:oidc-provider/{spec.ProviderHost}\""
            : Json(spec.ProviderArn(spec.AccountId));
        var marker = Json(spec.ProviderArn(AccountMarker));
        var trust = spec.TrustPolicyJson(spec.ProviderArn(AccountMarker)).Replace(marker, federated, StringComparison.Ordinal);
        var role = spec.AccountId is null ? "!GetAtt VouchRole.Arn" : Json(spec.RoleArn(spec.AccountId));
        var yaml = new StringBuilder();
        yaml.AppendLine("# CloudFormation template from 'vouch-server aws setup'. Deploy with:");
        yaml.AppendLine("#   aws cloudformation deploy --template-file vouch.yaml --stack-name vouch --capabilities CAPABILITY_NAMED_IAM");
        yaml.AppendLine("AWSTemplateFormatVersion: \"2010-09-09\"");
        yaml.AppendLine($"Description: {Json($"Vouch: trust {spec.Issuer} as an OIDC provider, and the role {spec.RoleName}")}");
        yaml.AppendLine("Resources:");
        yaml.AppendLine("  VouchOidcProvider:");
        yaml.AppendLine("    Type: AWS::IAM::OIDCProvider");
        yaml.AppendLine("    Properties:");
        yaml.AppendLine($"      Url: {Json(spec.Issuer)}");
        yaml.AppendLine($"      ClientIdList: [{Json(spec.Audience)}]");
        yaml.AppendLine($"      ThumbprintList: [{Json(spec.Thumbprint)}]");
        yaml.AppendLine("  VouchRole:");
        yaml.AppendLine("    Type: AWS::IAM::Role");
        yaml.AppendLine("    DependsOn: VouchOidcProvider");
        yaml.AppendLine("    Properties:");
        yaml.AppendLine($"      RoleName: {Json(spec.RoleName)}");
        yaml.AppendLine($"      MaxSessionDuration: {spec.MaxSessionDuration}");
        yaml.AppendLine($"      AssumeRolePolicyDocument: {trust}");
        if (spec.PolicyArns.Count > 0) yaml.AppendLine($"      ManagedPolicyArns: [{string.Join(", ", spec.PolicyArns.Select(Json))}]");
        yaml.AppendLine("Outputs:");
        yaml.AppendLine("  RoleArn:");
        yaml.AppendLine("    Description: Give your developers 'vouch setup aws --role <this ARN>'");
        yaml.AppendLine($"    Value: {role}");
        return yaml.ToString();
    }

    private static string Terraform(AwsRoleSpec spec)
    {
        var account = spec.AccountId ?? "${data.aws_caller_identity.current.account_id}";
        // In a heredoc, "${" and "%{" start templates: the policy's own text must not.
        var trust = spec.TrustPolicyJson(spec.ProviderArn(AccountMarker))
            .Replace("${", "$${", StringComparison.Ordinal).Replace("%{", "%%{", StringComparison.Ordinal)
            .Replace(AccountMarker, account, StringComparison.Ordinal);
        var hcl = new StringBuilder();
        hcl.AppendLine("# Terraform from 'vouch-server aws setup' (AWS provider).");
        if (spec.AccountId is null) hcl.AppendLine("data \"aws_caller_identity\" \"current\" {}").AppendLine();
        hcl.AppendLine("resource \"aws_iam_openid_connect_provider\" \"vouch\" {");
        hcl.AppendLine($"  url             = {Hcl(spec.Issuer)}");
        hcl.AppendLine($"  client_id_list  = [{Hcl(spec.Audience)}]");
        hcl.AppendLine($"  thumbprint_list = [{Hcl(spec.Thumbprint)}]");
        hcl.AppendLine("}").AppendLine();
        hcl.AppendLine("resource \"aws_iam_role\" \"vouch\" {");
        hcl.AppendLine($"  name                 = {Hcl(spec.RoleName)}");
        hcl.AppendLine($"  max_session_duration = {spec.MaxSessionDuration}");
        hcl.AppendLine("  depends_on           = [aws_iam_openid_connect_provider.vouch]");
        hcl.AppendLine("  assume_role_policy   = <<-POLICY");
        hcl.AppendLine("    " + trust);
        hcl.AppendLine("  POLICY");
        hcl.AppendLine("}");
        for (var i = 0; i < spec.PolicyArns.Count; i++)
        {
            hcl.AppendLine().AppendLine($"resource \"aws_iam_role_policy_attachment\" \"vouch_{i}\" {{");
            hcl.AppendLine("  role       = aws_iam_role.vouch.name");
            hcl.AppendLine($"  policy_arn = {Hcl(spec.PolicyArns[i])}");
            hcl.AppendLine("}");
        }
        hcl.AppendLine().AppendLine("output \"role_arn\" {");
        hcl.AppendLine("  description = \"Give your developers 'vouch setup aws --role <this ARN>'\"");
        hcl.AppendLine("  value       = aws_iam_role.vouch.arn");
        hcl.AppendLine("}");
        return hcl.ToString();
    }

    /// <summary>A JSON string literal, which is also a valid YAML and HCL string (no "${" in what Vouch validates into it).</summary>
    private static string Json(string value) =>
        "\"" + System.Text.Json.JsonEncodedText.Encode(value, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"";

    /// <summary>An HCL string literal: JSON's, with "${" and "%{" escaped, which Terraform would read as templates.</summary>
    private static string Hcl(string value) =>
        Json(value).Replace("${", "$${", StringComparison.Ordinal).Replace("%{", "%%{", StringComparison.Ordinal);

    /// <summary>Quotes for bash: single quotes, with a single quote written as <c>'\''</c>.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
