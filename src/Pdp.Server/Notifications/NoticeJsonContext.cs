using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pdp.Server.Notifications;

/// <summary>
/// What the CloudEvents formatter serialises an event's data with: its data is always a <see cref="JsonElement"/>,
/// written through <c>JsonSerializer.Serialize&lt;object&gt;</c>. Source-generated, because a native AOT build has no
/// reflection-based serialisation and the formatter's default options would throw there at the first notification.
/// </summary>
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class NoticeJsonContext : JsonSerializerContext;
