using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Pdp.Reviewers;

/// <summary>
/// A local signing key for development reviewer tokens: an ES256 key pair whose private half stays in a PEM file and
/// whose public half is a JWKS file the operator points <c>Pdp:Review:Oidc:JwksPath</c> at. A token minted with it is
/// accepted only by a server configured with that JWKS: nothing here is trusted by default.
/// </summary>
public static class DevelopmentKeys
{
    /// <summary>Writes <c>reviewer-key.pem</c> (private, mode 600) and <c>reviewer-jwks.json</c> into <paramref name="directory"/>; returns the key id.</summary>
    public static string Generate(string directory)
    {
        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kid = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
        var pem = Path.Combine(directory, PrivateKeyFile);
        File.WriteAllText(pem, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(pem, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false))) { KeyId = kid });
        var set = new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = jwk.Kty, ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y, ["kid"] = kid, ["use"] = "sig", ["alg"] = SecurityAlgorithms.EcdsaSha256,
            }),
        };
        File.WriteAllText(Path.Combine(directory, JwksFile), set.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return kid;
    }

    public const string PrivateKeyFile = "reviewer-key.pem";
    public const string JwksFile = "reviewer-jwks.json";

    /// <summary>A token for <paramref name="reviewer"/> signed with the private key in <paramref name="keyPemPath"/>.</summary>
    public static string Mint(string keyPemPath, string issuer, string audience, string subject, string reviewerClaim, string reviewer, IReadOnlyList<string> groups, string groupsClaim, TimeSpan lifetime, DateTimeOffset now)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyPemPath));
        var kid = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
        var claims = new Dictionary<string, object> { [reviewerClaim] = reviewer };
        if (groups.Count > 0 && groupsClaim.Length > 0)
        {
            claims[groupsClaim] = groups.ToArray();
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("sub", subject)]),
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            // The key is disposed when this returns: the library's signature-provider cache (keyed by key id) would hand
            // the next Mint of the same key a provider holding the disposed key, so it is not used here.
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256)
            {
                CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
            },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
