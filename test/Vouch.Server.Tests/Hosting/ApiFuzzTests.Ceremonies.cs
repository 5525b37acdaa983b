using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Vouch.Protocol;
using Vouch.Testing;
using Xunit;

namespace Vouch.Server.Tests.Hosting;

// Real WebAuthn ceremonies with one field mutated or replaced by random base64url.
public sealed partial class ApiFuzzTests
{
    /// <summary>A change to one part of a WebAuthn response: which field, and what is done to it.</summary>
    public sealed record Mutation(string Field, string Kind, int Position, byte[] Bytes, JsonNode? Value)
    {
        public override string ToString() => $"{Kind} {Field} at {Position} ({Convert.ToHexString(Bytes)}; {Value?.ToJsonString() ?? "null"})";
    }

    private static Gen<Mutation> Mutations(params string[] fields) =>
        from field in Gen.Elements(fields.Concat(["id", "rawId", "type", "response", "clientExtensionResults"]).ToArray())
        from kind in Gen.Elements("flip-bit", "truncate", "append", "random-base64url", "random-json", "remove", "set-byte")
        from position in Gen.Choose(0, 4000)
        from bytes in Gen.Choose(1, 64).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n))
        from value in Gen.Resize(Json(), 8)
        select new Mutation(field, kind, position, bytes, value);

    /// <summary>Applies <paramref name="mutation"/> to <paramref name="credential"/> (a response field, or a top-level one).</summary>
    private static JsonObject Apply(JsonObject credential, Mutation mutation)
    {
        var holder = credential.ContainsKey(mutation.Field) ? credential : credential["response"]!.AsObject();
        if (mutation.Kind == "remove")
        {
            holder.Remove(mutation.Field);
            return credential;
        }
        if (mutation.Kind == "random-json")
        {
            holder[mutation.Field] = mutation.Value?.DeepClone();
            return credential;
        }
        var current = holder[mutation.Field] is JsonValue v && v.TryGetValue<string>(out var text) ? text : "";
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(current);
        }
        catch (FormatException)
        {
            bytes = Encoding.UTF8.GetBytes(current);
        }
        var at = bytes.Length == 0 ? 0 : mutation.Position % bytes.Length;
        bytes = mutation.Kind switch
        {
            "flip-bit" when bytes.Length > 0 => Flip(bytes, at, mutation.Bytes[0] % 8),
            "truncate" => bytes[..at],
            "append" => [.. bytes, .. mutation.Bytes],
            "random-base64url" => mutation.Bytes,
            "set-byte" when bytes.Length > 0 => Set(bytes, at, mutation.Bytes[0]),
            _ => bytes,
        };
        holder[mutation.Field] = Base64Url.EncodeToString(bytes);
        return credential;

        static byte[] Flip(byte[] b, int at, int bit) { b[at] ^= (byte)(1 << bit); return b; }
        static byte[] Set(byte[] b, int at, byte value) { b[at] = value; return b; }
    }

    [Fact]
    public async Task Mutated_real_login_ceremonies_are_refused_cleanly()
    {
        var run = await Fuzz.CheckAsync("mutated login assertions", seed: 20261202, count: 300,
            Mutations("clientDataJSON", "authenticatorData", "signature", "userHandle"), async mutation =>
            {
                var (ceremony, options) = await _alice.BeginLoginAsync();
                var assertion = Apply(_alice.Key.GetAssertion(options, _alice.Origin), mutation);
                using var content = new StringContent(new JsonObject { ["ceremony"] = ceremony, ["assertion"] = assertion }.ToJsonString(), Encoding.UTF8, "application/json");
                using var response = await _server.Client.PostAsync(ApiRoutes.Login.TrimStart('/'), content);
                AssertCleanAnswer(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
            });

        output.WriteLine(run.ToString());
    }

    [Fact]
    public async Task Mutated_real_enrollment_ceremonies_are_refused_cleanly()
    {
        var run = await Fuzz.CheckAsync("mutated enrollment attestations", seed: 20261203, count: 250,
            Mutations("clientDataJSON", "attestationObject"), async mutation =>
            {
                using var user = new ApiUser(_server, $"user{Guid.NewGuid():N}@example.com");
                var (_, started) = await user.PostAsync(ApiRoutes.EnrollOptions, new { invite = await user.InviteAsync() });
                var credential = Apply(user.Key.MakeCredential(started.GetProperty("options"), user.Origin), mutation);
                using var content = new StringContent(new JsonObject { ["ceremony"] = started.GetProperty("ceremony").GetString(), ["credential"] = credential }.ToJsonString(), Encoding.UTF8, "application/json");
                using var response = await _server.Client.PostAsync(ApiRoutes.Enroll.TrimStart('/'), content);
                AssertCleanAnswer(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
            });

        output.WriteLine(run.ToString());
    }

    [Fact]
    public async Task Random_base64url_in_every_credential_field_of_a_real_ceremony_is_refused_as_a_webauthn_failure()
    {
        var fields =
            from id in Base64Urls()
            from data in Base64Urls()
            from signature in Base64Urls()
            from client in Base64Urls()
            from handle in Base64Urls()
            from enrollment in ArbMap.Default.GeneratorFor<bool>()
            select (Id: id, Data: data, Signature: signature, Client: client, Handle: handle, Enrollment: enrollment);
        var run = await Fuzz.CheckAsync("random base64url credential fields", seed: 20261204, count: 200, fields, async f =>
        {
            var (id, data, signature, client, handle, enrollment) = f;
            string ceremony;
            JsonObject response;
            if (enrollment)
            {
                var (_, started) = await _alice.PostAsync(ApiRoutes.EnrollOptions, new { invite = await _alice.InviteAsync() });
                ceremony = started.GetProperty("ceremony").GetString()!;
                response = new JsonObject { ["attestationObject"] = data, ["clientDataJSON"] = client };
            }
            else
            {
                ceremony = (await _alice.BeginLoginAsync()).Ceremony;
                response = new JsonObject { ["authenticatorData"] = data, ["signature"] = signature, ["clientDataJSON"] = client, ["userHandle"] = handle };
            }
            var credential = new JsonObject { ["id"] = id, ["rawId"] = id, ["type"] = "public-key", ["response"] = response };
            var (status, body) = await _alice.PostAsync(enrollment ? ApiRoutes.Enroll : ApiRoutes.Login,
                enrollment ? new { ceremony, credential } : (object)new { ceremony, assertion = credential });

            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(ErrorCodes.WebAuthnFailed, body.GetProperty("error").GetString());
        }, f => $"{f}");

        output.WriteLine(run.ToString());
    }
}
