namespace Pdp.Server.Configuration;

/// <summary>
/// The mTLS listener (<c>Pdp:Tls</c>). Off by default; when on, callers present X.509 SVIDs and are
/// identified by their SPIFFE ID. Files are PEM, as spiffe-helper writes them, and are reloaded when
/// they change on disk.
/// </summary>
public sealed class TlsOptions
{
    /// <summary>Serve gRPC over mTLS on <see cref="Port"/>. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Port of the mTLS gRPC listener. Default 50052.</summary>
    public int Port { get; set; } = 50052;

    /// <summary>The server's certificate (leaf first; intermediates may follow).</summary>
    public string CertificatePath { get; set; } = string.Empty;

    /// <summary>The server certificate's private key.</summary>
    public string KeyPath { get; set; } = string.Empty;

    /// <summary>CA bundle (PEM) per trusted SPIFFE trust domain: <c>Pdp:Tls:TrustDomains:example.org=/run/spire/bundle.pem</c>.</summary>
    public IDictionary<string, string> TrustDomains { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How often the files are checked for changes (a watcher also reacts at once). Default 2 s.</summary>
    public int ReloadSeconds { get; set; } = 2;
}
