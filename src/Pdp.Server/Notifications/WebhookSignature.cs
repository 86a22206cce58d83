using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pdp.Server.Notifications;

/// <summary>
/// Standard Webhooks signing: <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</c> under the
/// endpoint's <c>whsec_</c> key. Written here (a few lines of the specification) rather than through the StandardWebhooks
/// package, which the tests then use as the receiver does, so signing and verification are two implementations that
/// must agree. The signature is a credential for one message: it is never logged.
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    /// <summary>The three headers for <paramref name="body"/> sent at <paramref name="at"/>.</summary>
    public static (string Timestamp, string Signature) Sign(byte[] key, string id, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(id);
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return (timestamp, "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)));
    }
}
