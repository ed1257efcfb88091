// The dev server's page: long-polls /devserver/page-feed and redraws from each snapshot.
// Message HTML comes from the server's renderer (the API's rendered content); every other
// text (names, topics) is set with textContent, never as HTML.
"use strict";

const FEED = "/devserver/page-feed";
const RETRY_MS = 1000;
let queueId = "";
let lastEventId = -1;
let filter = { stream: null, topic: null };
let latest = null;
const seen = new Set();

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setStatus(text, kind) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = "status " + kind;
}

async function poll() {
  for (;;) {
    const query = new URLSearchParams({ queue_id: queueId, last_event_id: String(lastEventId) });
    try {
      const response = await fetch(FEED + "?" + query, { cache: "no-store" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const answer = await response.json();
      queueId = answer.queue_id;
      lastEventId = answer.last_event_id;
      setStatus("live", "live");
      if (answer.snapshot) render(answer.snapshot);
    } catch (error) {
      setStatus("disconnected, retrying…", "down");
      queueId = "";
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

// --- emoji: the renderer's spans carry the code point in their class --------------------
function emojiChar(code) {
  try {
    return String.fromCodePoint(...code.split("-").map((part) => parseInt(part, 16)));
  } catch (error) {
    return null;
  }
}

function showEmoji(root) {
  for (const span of root.querySelectorAll("span.emoji")) {
    const match = /(?:^|\s)emoji-([0-9a-f-]+)(?:\s|$)/.exec(span.className);
    const char = match && emojiChar(match[1]);
    if (char) span.textContent = char;
  }
  for (const img of root.querySelectorAll("img.emoji")) {
    img.replaceWith(el("span", "emoji", img.getAttribute("alt") || ""));
  }
}

// --- drawing ------------------------------------------------------------------------------
function channelName(snapshot, streamId) {
  const channel = snapshot.channels.find((c) => c.id === streamId);
  return channel ? channel.name : "#" + streamId;
}

function topicsOf(snapshot, streamId) {
  const newest = new Map();
  for (const message of snapshot.messages) {
    if (message.stream_id === streamId) newest.set(message.topic, message.id);
  }
  return [...newest.entries()].sort((a, b) => b[1] - a[1]).map((entry) => entry[0]);
}

function filterLink(label, stream, topic, className) {
  const link = el("a", className, label);
  link.href = "#";
  if (filter.stream === stream && filter.topic === topic) link.classList.add("current");
  link.addEventListener("click", (event) => {
    event.preventDefault();
    filter = { stream, topic };
    render(latest);
  });
  return link;
}

function drawSidebar(snapshot) {
  const all = document.querySelector("#sidebar .all-messages");
  all.classList.toggle("current", filter.stream === null);
  all.onclick = (event) => {
    event.preventDefault();
    filter = { stream: null, topic: null };
    render(latest);
  };
  const list = document.getElementById("channels");
  list.replaceChildren();
  for (const channel of snapshot.channels) {
    const item = el("li", "channel");
    item.dataset.streamId = channel.id;
    const count = snapshot.messages.filter((m) => m.stream_id === channel.id).length;
    const link = filterLink("# " + channel.name, channel.id, null, "channel-name");
    if (count) link.append(el("span", "count", String(count)));
    item.append(link);
    const topics = el("ul", "topics");
    for (const topic of topicsOf(snapshot, channel.id)) {
      const topicItem = el("li", "topic");
      topicItem.append(filterLink(topic, channel.id, topic, "topic-name"));
      topics.append(topicItem);
    }
    item.append(topics);
    list.append(item);
  }
}

function reactionsOf(message, users) {
  const groups = new Map();
  for (const reaction of message.reactions) {
    const key = reaction.reaction_type + ":" + reaction.emoji_code;
    if (!groups.has(key)) groups.set(key, { reaction, users: [] });
    groups.get(key).users.push(users[String(reaction.user_id)] || "user " + reaction.user_id);
  }
  const box = el("div", "reactions");
  for (const { reaction, users: names } of groups.values()) {
    const char = reaction.reaction_type === "unicode_emoji" ? emojiChar(reaction.emoji_code) : null;
    const pill = el("span", "reaction");
    pill.dataset.emojiName = reaction.emoji_name;
    pill.title = names.join(", ") + " reacted with :" + reaction.emoji_name + ":";
    pill.append(el("span", "reaction-emoji", char || ":" + reaction.emoji_name + ":"));
    pill.append(el("span", "reaction-count", String(names.length)));
    box.append(pill);
  }
  return box;
}

function drawMessage(snapshot, message, showSender) {
  const row = el("div", "message");
  row.dataset.messageId = message.id;
  if (!seen.has(message.id)) {
    if (seen.size) row.classList.add("fresh");
    seen.add(message.id);
  }
  const meta = el("div", "meta");
  if (showSender) {
    meta.append(el("span", "avatar", (message.sender || "?").trim().charAt(0).toUpperCase()));
    meta.append(el("span", "sender", message.sender));
  }
  const time = el("time", "time", new Date(message.timestamp * 1000).toLocaleTimeString([], {
    hour: "2-digit", minute: "2-digit",
  }));
  time.dateTime = new Date(message.timestamp * 1000).toISOString();
  meta.append(time);
  row.append(meta);
  const content = el("div", "message-content rendered_markdown");
  content.innerHTML = message.content; // the server's rendering, as the API gives it
  showEmoji(content);
  row.append(content);
  if (message.edited || message.moved) {
    row.append(el("span", "edited", message.edited ? "(edited)" : "(moved)"));
  }
  if (message.reactions.length) row.append(reactionsOf(message, snapshot.users));
  return row;
}

function drawFeed(snapshot) {
  const feed = document.getElementById("feed");
  const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 40;
  const shown = snapshot.messages.filter((m) =>
    (filter.stream === null || m.stream_id === filter.stream) && (filter.topic === null || m.topic === filter.topic));
  const empty = document.getElementById("empty");
  feed.replaceChildren(empty);
  empty.hidden = shown.length > 0;
  let block = null;
  let previous = null;
  for (const message of shown) {
    const sameThread = previous && previous.stream_id === message.stream_id && previous.topic === message.topic;
    if (!sameThread) {
      block = el("section", "thread");
      const bar = el("h3", "recipient");
      bar.append(el("span", "recipient-channel", "# " + channelName(snapshot, message.stream_id)));
      bar.append(el("span", "recipient-sep", "›"));
      bar.append(el("span", "recipient-topic" + (message.empty_topic ? " empty-topic" : ""), message.topic));
      block.append(bar);
      feed.append(block);
    }
    block.append(drawMessage(snapshot, message, !sameThread || previous.sender_id !== message.sender_id));
    previous = message;
  }
  if (atBottom) feed.scrollTop = feed.scrollHeight;
}

function render(snapshot) {
  latest = snapshot;
  document.getElementById("realm-name").textContent = snapshot.realm_name;
  document.title = snapshot.realm_name + " · dev server";
  drawSidebar(snapshot);
  drawFeed(snapshot);
}

poll();
