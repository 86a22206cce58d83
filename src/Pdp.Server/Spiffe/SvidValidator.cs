using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pdp.Server.Spiffe;

/// <summary>Why a client certificate was not accepted as an X.509 SVID. Bounded, so it can label a metric.</summary>
public enum SvidRejection
{
    NoCertificate,
    NoSpiffeId,
    InvalidSpiffeId,
    UnknownTrustDomain,
    UntrustedChain,
    NotALeaf,

    /// <summary>The ID is the trust domain alone: it names no workload (X509-SVID §3.1, §5.2).</summary>
    RootSpiffeId,

    /// <summary>keyCertSign or cRLSign: a signing certificate, which must not authenticate (§3.2, §4.3, §5.2).</summary>
    SigningKeyUsage,

    /// <summary>No key usage extension, not critical, or without digitalSignature (§4.3).</summary>
    InvalidKeyUsage,

    /// <summary>An extended key usage extension without both serverAuth and clientAuth (§4.4).</summary>
    InvalidExtendedKeyUsage,

    /// <summary>A certificate above the leaf that is not an SVID signing certificate (§3.2, §4.1, §4.3).</summary>
    InvalidSigningCertificate,
}

/// <summary>
/// Checks a client certificate as the X.509-SVID specification says: exactly one URI SAN holding a valid
/// SPIFFE ID with a workload path, a leaf (not a CA, digitalSignature in a critical key usage, neither
/// keyCertSign nor cRLSign, serverAuth and clientAuth if it names extended usages), and a chain to the bundle
/// of that ID's own trust domain, valid now, through signing certificates only.
/// </summary>
public static class SvidValidator
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const X509KeyUsageFlags SigningUsages = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;

    public static SpiffeId Validate(X509Certificate2? certificate, IReadOnlyDictionary<string, X509Certificate2Collection> bundles, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(bundles);
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

        if (id!.Path.Length == 0)
        {
            throw new SvidRejectedException(SvidRejection.RootSpiffeId, $"{id} names a trust domain, not a workload: a leaf SVID's ID has a path");
        }

        CheckLeafUsage(certificate);

        if (!bundles.TryGetValue(id.TrustDomain, out var anchors))
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

        // Path validation already refuses most issuers that could not sign, but how strictly depends on the
        // platform's X.509 library; the SVID rules for signing certificates are checked here on every platform.
        foreach (var element in chain.ChainElements.Skip(1))
        {
            CheckSigningCertificate(element.Certificate);
        }

        return id;
    }

    /// <summary>The leaf rules of §4.1, §4.3, §4.4 and §5.2: what makes it a leaf and fit for authentication.</summary>
    private static void CheckLeafUsage(X509Certificate2 certificate)
    {
        // Without basic constraints cA is false (RFC 5280 §4.2.1.9), which is what a leaf needs.
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
        {
            throw new SvidRejectedException(SvidRejection.NotALeaf, "a CA certificate cannot be a workload's SVID");
        }

        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().SingleOrDefault();
        if (usage is not null && (usage.KeyUsages & SigningUsages) != 0)
        {
            throw new SvidRejectedException(SvidRejection.SigningKeyUsage, $"a certificate with {usage.KeyUsages & SigningUsages} is a signing certificate and cannot be a workload's SVID");
        }

        if (usage is null || !usage.Critical || !usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
        {
            throw new SvidRejectedException(SvidRejection.InvalidKeyUsage, "a leaf SVID has a critical key usage extension with digitalSignature");
        }

        var purposes = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault()?.EnhancedKeyUsages;
        if (purposes is not null && !(HasPurpose(purposes, ServerAuthOid) && HasPurpose(purposes, ClientAuthOid)))
        {
            throw new SvidRejectedException(SvidRejection.InvalidExtendedKeyUsage, "a leaf SVID that names extended key usages names both serverAuth and clientAuth");
        }
    }

    /// <summary>§3.2, §4.1, §4.3: a signing certificate is a CA with keyCertSign, and its SPIFFE ID, if any, has no path.</summary>
    private static void CheckSigningCertificate(X509Certificate2 certificate)
    {
        var isCa = certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().SingleOrDefault();
        if (!isCa || usage is null || !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
        {
            throw new SvidRejectedException(SvidRejection.InvalidSigningCertificate, $"the issuer {certificate.Subject} is not a signing certificate (cA and keyCertSign)");
        }

        foreach (var uri in UriSans(certificate))
        {
            if (SpiffeId.TryParse(uri, out var id, out _) && id!.Path.Length > 0)
            {
                throw new SvidRejectedException(SvidRejection.InvalidSigningCertificate, $"the issuer {certificate.Subject} has the SPIFFE ID {id}; a signing certificate's ID has no path");
            }
        }
    }

    private static bool HasPurpose(OidCollection purposes, string oid) => purposes.Cast<Oid>().Any(p => p.Value == oid);

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
