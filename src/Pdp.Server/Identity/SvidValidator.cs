using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Pdp.Server.Identity;

/// <summary>Why a client certificate was not accepted as an X.509 SVID. Bounded, so it can label a metric.</summary>
public enum SvidRejection
{
    NoCertificate,
    NoSpiffeId,
    InvalidSpiffeId,
    UnknownTrustDomain,
    UntrustedChain,
    NotALeaf,
}

/// <summary>
/// Checks a client certificate as the X.509-SVID specification says: exactly one URI SAN, a valid
/// SPIFFE ID, a leaf (not a CA), and a chain to the bundle of that ID's own trust domain, valid now.
/// </summary>
public static class SvidValidator
{
    private const string SubjectAltNameOid = "2.5.29.17";

    public static SpiffeId Validate(X509Certificate2? certificate, SvidSource svids, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(svids);
        if (certificate is null)
        {
            throw new SvidRejectedException(SvidRejection.NoCertificate, "a client certificate (X.509 SVID) is required");
        }

        var uris = UriSans(certificate);
        if (uris.Count != 1)
        {
            throw new SvidRejectedException(SvidRejection.NoSpiffeId, $"an X.509 SVID carries exactly one URI SAN; this certificate has {uris.Count}");
        }

        if (!SpiffeId.TryParse(uris[0], out var id, out var error))
        {
            throw new SvidRejectedException(SvidRejection.InvalidSpiffeId, $"the URI SAN is not a valid SPIFFE ID: it {error}");
        }

        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
        {
            throw new SvidRejectedException(SvidRejection.NotALeaf, "a CA certificate cannot be a workload's SVID");
        }

        if (!svids.Bundles.TryGetValue(id!.TrustDomain, out var anchors))
        {
            throw new SvidRejectedException(SvidRejection.UnknownTrustDomain, $"trust domain {id.TrustDomain} is not configured");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (!chain.Build(certificate))
        {
            var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
            throw new SvidRejectedException(SvidRejection.UntrustedChain, $"the certificate does not chain to the {id.TrustDomain} bundle or is not valid now ({status})");
        }

        return id;
    }

    private static List<string> UriSans(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (reader.HasData)
            {
                var tag = reader.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                {
                    uris.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6)));
                }
                else
                {
                    reader.ReadEncodedValue();
                }
            }
        }

        return uris;
    }
}

/// <summary>A client certificate that is not an acceptable SVID. Becomes UNAUTHENTICATED.</summary>
public sealed class SvidRejectedException : Exception
{
    public SvidRejectedException(SvidRejection reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public SvidRejectedException()
    {
    }

    public SvidRejectedException(string message)
        : base(message)
    {
    }

    public SvidRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SvidRejection Reason { get; }
}
