using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pdp.TestSupport;

/// <summary>A certificate authority and X.509 SVIDs made in code for the identity tests, good and deliberately bad.</summary>
public sealed class TestPki
{
    public const X509KeyUsageFlags CaUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;

    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    private readonly ECDsa _key;

    private TestPki(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>The extended key usages an SVID carries (X509-SVID §4.4: both, when the extension is there).</summary>
    public static string[] SvidPurposes => [ServerAuth, ClientAuth];

    /// <summary>A self-signed CA; the defaults make a valid SVID signing certificate, the parameters a deliberately bad one.</summary>
    public static TestPki CreateCa(string name, X509KeyUsageFlags usage = CaUsage, bool isCa = true, string? spiffeId = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (spiffeId is not null)
        {
            request.CertificateExtensions.Add(SubjectAltNames([spiffeId], loopback: false));
        }

        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return new TestPki(certificate, key);
    }

    /// <summary>
    /// Issues a leaf with the given URI SANs (a SPIFFE ID, several, or none), loopback SANs and a validity window.
    /// <paramref name="keyUsage"/> null means the SVID default (digitalSignature, plus keyCertSign for a CA);
    /// <paramref name="purposes"/> null means serverAuth and clientAuth, and empty leaves the extension out.
    /// </summary>
    public X509Certificate2 Issue(
        string[] uris,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        bool isCa = false,
        X509KeyUsageFlags? keyUsage = null,
        bool keyUsageCritical = true,
        bool withKeyUsage = true,
        bool withBasicConstraints = true,
        string[]? purposes = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=workload", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(SubjectAltNames(uris, loopback: true));
        if (withBasicConstraints)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, true));
        }

        if (withKeyUsage)
        {
            var usage = keyUsage ?? (X509KeyUsageFlags.DigitalSignature | (isCa ? X509KeyUsageFlags.KeyCertSign : 0));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, keyUsageCritical));
        }

        if ((purposes ?? SvidPurposes) is { Length: > 0 } eku)
        {
            var oids = new OidCollection();
            foreach (var oid in eku)
            {
                oids.Add(new Oid(oid));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var from = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5);
        var to = notAfter ?? DateTimeOffset.UtcNow.AddHours(1);
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), from, to, serial);
        using var withKey = issued.CopyWithPrivateKey(key);

        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public static void WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        var temp = certificatePath + ".tmp";
        File.WriteAllText(temp, certificate.ExportCertificatePem());
        File.Move(temp, certificatePath, overwrite: true);
        temp = keyPath + ".tmp";
        File.WriteAllText(temp, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.Move(temp, keyPath, overwrite: true);
    }

    public static void WriteBundle(string path, params TestPki[] authorities)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Concat(authorities.Select(a => a.Certificate.ExportCertificatePem() + "\n")));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The SAN extension written by hand: each URI goes in exactly as given. SubjectAlternativeNameBuilder takes a
    /// System.Uri, which lowercases the host, resolves dot segments and drops empty ports, so the malformed SPIFFE
    /// IDs the spec forbids could never be put in a certificate through it.
    /// </summary>
    private static X509Extension SubjectAltNames(string[] uris, bool loopback)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var uri in uris)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
            }

            if (loopback)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, "localhost", new Asn1Tag(TagClass.ContextSpecific, 2));
                writer.WriteOctetString(System.Net.IPAddress.Loopback.GetAddressBytes(), new Asn1Tag(TagClass.ContextSpecific, 7));
            }
        }

        return new X509Extension("2.5.29.17", writer.Encode(), critical: false);
    }
}
