namespace Pdp.Server.Console;

/// <summary>
/// The console's script and stylesheet, embedded in the server (no CDN, no build step), served from its own origin so
/// the Content-Security-Policy can say <c>script-src 'self'</c>.
/// </summary>
public static class ConsoleAssets
{
    public static readonly Asset Script = Load("console.js", "text/javascript; charset=utf-8");

    public static readonly Asset Style = Load("console.css", "text/css; charset=utf-8");

    public static async Task WriteAsync(HttpContext context, Asset asset)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(asset);
        context.Response.ContentType = asset.ContentType;
        context.Response.ContentLength = asset.Bytes.Length;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await context.Response.Body.WriteAsync(asset.Bytes, timeout.Token).ConfigureAwait(false);
    }

    private static Asset Load(string name, string contentType)
    {
        using var stream = typeof(ConsoleAssets).Assembly.GetManifestResourceStream($"Pdp.Server.Console.Assets.{name}")
            ?? throw new InvalidOperationException($"the console asset {name} is not embedded in the server");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return new Asset(copy.ToArray(), contentType);
    }

    public sealed record Asset(byte[] Bytes, string ContentType);
}
