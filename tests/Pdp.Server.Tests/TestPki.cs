using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pdp.Server.Tests;

/// <summary>A certificate authority and X.509 SVIDs made in code for the identity tests, good and deliberately bad.</summary>
internal sealed class TestPki
{
    private readonly ECDsa _key;

    private TestPki(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    public X509Certificate2 Certificate { get; }

    public static TestPki CreateCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return new TestPki(certificate, key);
    }

    /// <summary>Issues a leaf with the given URI SANs (a SPIFFE ID, several, or none), loopback SANs and a validity window.</summary>
    public X509Certificate2 Issue(string[] uris, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool isCa = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=workload", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var uri in uris)
        {
            san.AddUri(new Uri(uri));
        }

        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | (isCa ? X509KeyUsageFlags.KeyCertSign : 0), true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
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
}
