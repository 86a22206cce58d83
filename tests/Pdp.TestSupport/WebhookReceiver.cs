using System.Collections.Concurrent;
using System.Net;
using System.Net.Mime;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Pdp.TestSupport;

/// <summary>One event as the receiver accepted it: its webhook id, the CloudEvent (or Slack text) and the raw body.</summary>
public sealed record ReceivedEvent(string WebhookId, string Type, string Id, string Subject, JsonObject Data, string Body, string ContentType);

/// <summary>
/// A webhook receiver as a real one is written: Kestrel on loopback, every request verified with the StandardWebhooks
/// library (signature under the <c>whsec_</c> secret, timestamp within its tolerance), CloudEvents parsed with the CNCF
/// SDK. It can refuse the first N requests (HTTP 503) or every request while <see cref="Down"/> is set, to play a
/// receiver that is failing and then recovers.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private static readonly JsonEventFormatter Formatter = new();
    private readonly WebApplication _app;
    private readonly StandardWebhook _verifier;
    private readonly ConcurrentQueue<ReceivedEvent> _accepted = new();
    private int _failFirst;
    private int _requests;
    private int _rejected;

    private WebhookReceiver(WebApplication app, string secret, int failFirst)
    {
        _app = app;
        Secret = secret;
        _verifier = new StandardWebhook(secret);
        _failFirst = failFirst;
    }

    public string Secret { get; }

    public string Url { get; private set; } = string.Empty;

    /// <summary>While true every request gets 503 (after verification), as a receiver that is down.</summary>
    public bool Down { get; set; }

    /// <summary>While true every request is held unanswered (up to a minute), as a receiver that accepts and then stalls.</summary>
    public bool Hang { get; set; }

    /// <summary>Requests that arrived, refused ones included.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests whose signature or timestamp did not verify.</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    public IReadOnlyList<ReceivedEvent> Accepted => [.. _accepted];

    /// <summary>A new secret in the Standard Webhooks form: <c>whsec_</c> and base64 of 32 random bytes.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0, string? secret = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, secret ?? NewSecret(), failFirst);
        app.MapPost("/hook", receiver.HandleAsync);
        await app.StartAsync().WaitAsync(PdpProcess.Timeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    /// <summary>Waits (bounded) until the accepted events satisfy <paramref name="condition"/>.</summary>
    public async Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(Func<IReadOnlyList<ReceivedEvent>, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? PdpProcess.Timeout);
        while (true)
        {
            var accepted = Accepted;
            if (condition(accepted))
            {
                return accepted;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the receiver did not get {what}; it accepted [{string.Join(", ", accepted.Select(e => e.Id))}] of {Requests} requests");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        try
        {
            _verifier.Verify(body, context.Request.Headers);
        }
        catch (WebhookVerificationException)
        {
            Interlocked.Increment(ref _rejected);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        if (Hang)
        {
            await Task.Delay(TimeSpan.FromMinutes(1), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (Down || Interlocked.Decrement(ref _failFirst) >= 0)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var contentType = context.Request.ContentType ?? string.Empty;
        var id = context.Request.Headers["webhook-id"].ToString();
        if (contentType.StartsWith("application/cloudevents+json", StringComparison.Ordinal))
        {
            var cloudEvent = Formatter.DecodeStructuredModeMessage(new MemoryStream(Encoding.UTF8.GetBytes(body)), new ContentType(contentType), null);
            var data = JsonNode.Parse(((System.Text.Json.JsonElement)cloudEvent.Data!).GetRawText())!.AsObject();
            _accepted.Enqueue(new ReceivedEvent(id, cloudEvent.Type!, cloudEvent.Id!, cloudEvent.Subject ?? string.Empty, data, body, contentType));
        }
        else
        {
            _accepted.Enqueue(new ReceivedEvent(id, "slack", id, string.Empty, JsonNode.Parse(body)!.AsObject(), body, contentType));
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
