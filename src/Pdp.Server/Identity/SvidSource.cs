using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pdp.Server.Configuration;

namespace Pdp.Server.Identity;

/// <summary>
/// The server's SVID and the trust bundles, read from PEM files and re-read when they change (SVIDs
/// live for hours; spiffe-helper rewrites the files in place). A change that does not parse keeps
/// the last good material, so a half-written file never takes the listener down. Each TLS handshake
/// takes the current certificate; connections already open keep theirs.
/// </summary>
public sealed class SvidSource
{
    private readonly TlsOptions _options;
    private volatile Material _current;
    private string _fingerprint;

    private SvidSource(TlsOptions options, Material material, string fingerprint)
    {
        _options = options;
        _current = material;
        _fingerprint = fingerprint;
    }

    /// <summary>The certificate (with its key) presented to callers now.</summary>
    public X509Certificate2 ServerCertificate => _current.Certificate;

    /// <summary>Trust anchors by trust domain.</summary>
    public FrozenDictionary<string, X509Certificate2Collection> Bundles => _current.Bundles;

    /// <summary>Raised after new material was loaded.</summary>
    public event Action? Rotated;

    /// <summary>Loads the files or throws naming the one that is missing or invalid.</summary>
    public static SvidSource Load(TlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var fingerprint = Fingerprint(options);
        return new SvidSource(options, Read(options), fingerprint);
    }

    /// <summary>Re-reads the files if their content changed. Returns true when new material is in use.</summary>
    public bool Refresh()
    {
        string fingerprint;
        Material material;
        try
        {
            fingerprint = Fingerprint(_options);
            if (fingerprint == _fingerprint)
            {
                return false;
            }

            material = Read(_options);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            // Mid-rewrite or broken: keep serving with the last good material and try again next time.
            return false;
        }

        _fingerprint = fingerprint;
        _current = material;
        Rotated?.Invoke();
        return true;
    }

    private static Material Read(TlsOptions options)
    {
        var certificate = X509Certificate2.CreateFromPemFile(options.CertificatePath, options.KeyPath);
        if (!certificate.HasPrivateKey)
        {
            throw new CryptographicException($"{options.KeyPath} holds no private key for {options.CertificatePath}");
        }

        var bundles = new Dictionary<string, X509Certificate2Collection>(StringComparer.Ordinal);
        foreach (var (trustDomain, path) in options.TrustDomains)
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(path);
            if (collection.Count == 0)
            {
                throw new CryptographicException($"trust bundle {path} for {trustDomain} holds no certificate");
            }

            bundles[trustDomain] = collection;
        }

        return new Material(certificate, bundles.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static string Fingerprint(TlsOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in new[] { options.CertificatePath, options.KeyPath }.Concat(options.TrustDomains.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value)))
        {
            hash.AppendData(File.ReadAllBytes(path));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private sealed record Material(X509Certificate2 Certificate, FrozenDictionary<string, X509Certificate2Collection> Bundles);
}
