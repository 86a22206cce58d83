using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pdp.Evidence.Signing;

/// <summary>
/// A detached JWS (RFC 7515, compact serialisation with the payload left out, Appendix F) over the report's JSON
/// bytes, signed ES256 with a P-256 key in PEM (e.g. <c>pdp token keygen</c>'s, or <c>openssl ecparam -name
/// prime256v1 -genkey</c>). Any JOSE library verifies it by putting <c>BASE64URL(json bytes)</c> back between the dots.
/// The header names the key by <c>kid</c>: the first 16 hex digits of the SHA-256 of its SubjectPublicKeyInfo, as
/// <c>pdp token keygen</c> names its keys.
/// </summary>
public static class DetachedJws
{
    /// <summary>The header's <c>typ</c>: what the signature is over.</summary>
    public const string MediaType = "pdp-evidence-report+json";

    /// <summary>Signs <paramref name="payload"/> with the private key in <paramref name="keyPem"/>; returns <c>HEADER..SIGNATURE</c>.</summary>
    /// <exception cref="ArgumentException">The PEM holds no P-256 private key.</exception>
    public static string Sign(ReadOnlySpan<byte> payload, string keyPem)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(keyPem);
        if (key.KeySize != 256)
        {
            throw new ArgumentException("the key is not a P-256 (ES256) key", nameof(keyPem));
        }

        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["alg"] = "ES256", ["typ"] = MediaType, ["kid"] = KeyId(key) }));
        var signature = key.SignData(SigningInput(header, payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{header}..{Base64Url(signature)}";
    }

    /// <summary>Why <paramref name="jws"/> is not a valid signature of <paramref name="payload"/> by the key in <paramref name="keyPem"/> (public or private), or null when it is.</summary>
    public static string? Problem(ReadOnlySpan<byte> payload, string jws, string keyPem)
    {
        ArgumentNullException.ThrowIfNull(jws);
        var parts = jws.Trim().Split('.');
        if (parts.Length != 3 || parts[1].Length != 0)
        {
            return "not a detached compact JWS (HEADER..SIGNATURE)";
        }

        using var key = ECDsa.Create();
        key.ImportFromPem(keyPem);
        try
        {
            var header = JsonNode.Parse(FromBase64Url(parts[0])) as JsonObject;
            if (header?["alg"]?.GetValue<string>() != "ES256")
            {
                return "the signature's header does not say ES256";
            }

            if (header["kid"]?.GetValue<string>() is { } kid && kid != KeyId(key))
            {
                return $"the signature names key {kid}, not this key ({KeyId(key)})";
            }

            return key.VerifyData(SigningInput(parts[0], payload), FromBase64Url(parts[2]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
                ? null
                : "the signature does not match: the report was changed after it was signed, or signed with another key";
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return "the signature is malformed";
        }
    }

    /// <summary>The key's id: the first 16 hex digits of the SHA-256 of its SubjectPublicKeyInfo.</summary>
    public static string KeyId(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
    }

    private static byte[] SigningInput(string header, ReadOnlySpan<byte> payload) => Encoding.ASCII.GetBytes($"{header}.{Base64Url(payload)}");

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
