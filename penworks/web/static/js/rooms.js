// The live state of rooms for the plan and the room page: the readings of the layers' Brick
// classes within a place, and its alarms, kept up to date from the live feed.

import { BRICKS, RoomState } from "./layers.js";

/**
 * Load the readings of every layer for the rooms `spaces` within `placeId`, then follow them
 * until `signal` aborts. changed(spaceId) is called after every change of a room, and
 * changed(null) after a change of the place's alarms outside any room (a floor's fire zone).
 * Answers { rooms: Map(space id -> RoomState), others: Map(alarm id -> alarm) }.
 */
export async function followRooms(ctx, placeId, spaces, signal, changed) {
  const rooms = new Map(spaces.map((s) => [s.id, new RoomState(s)]));
  const others = new Map();
  const bricksOf = new Map(); // point id -> the Brick classes it was found by
  const tables = await Promise.all(
    BRICKS.map((brick) => ctx.api.get("/api/latest", { within: placeId, brick }, signal)),
  );
  tables.forEach((table, i) => {
    for (const row of table.items) {
      const space = ctx.site.spaceOfPoint(row.point);
      if (!space || !rooms.has(space.id)) continue;
      if (!bricksOf.has(row.point)) bricksOf.set(row.point, []);
      bricksOf.get(row.point).push(BRICKS[i]);
      if (row.ts) rooms.get(space.id).put(BRICKS[i], row);
    }
  });
  const place = (alarm) => placeAlarm(ctx, placeId, rooms, others, alarm);
  for (const alarm of await listAlarms(ctx, signal)) place(alarm);

  ctx.live.watch({ points: [...bricksOf.keys()], alarms: true }, {
    observation(item) {
      const space = ctx.site.spaceOfPoint(item.point);
      const room = space && rooms.get(space.id);
      if (!room) return;
      let any = false;
      for (const brick of bricksOf.get(item.point) || []) any = room.put(brick, item) || any;
      if (any) changed(space.id);
    },
    alarm(message) {
      const where = place(message.alarm);
      if (where !== undefined) changed(where);
    },
  }, signal);
  return { rooms, others };
}

/** Every alarm the user may see; none when the platform runs no alarm book (503). */
export async function listAlarms(ctx, signal, query) {
  try {
    return await ctx.api.get("/api/alarms", query, signal);
  } catch (error) {
    if (error && error.status === 503) return [];
    throw error;
  }
}

/** Whether an entity (or the place of a point) lies within the place `placeId`. */
function inside(ctx, placeId, id) {
  return ctx.site.lineage(ctx.site.holderOf.get(id) || id).some((e) => e.id === placeId);
}

/**
 * Keep an alarm snapshot where it belongs: its room's id, null for the place outside its
 * rooms, undefined when it is not within the place at all.
 */
function placeAlarm(ctx, placeId, rooms, others, alarm) {
  if (!alarm) return undefined;
  const keep = (map) => {
    if (alarm.state === "normal") map.delete(alarm.id);
    else map.set(alarm.id, alarm);
  };
  const space = alarm.point ? ctx.site.spaceOfPoint(alarm.point) : null;
  const room = space && rooms.get(space.id);
  if (room) {
    keep(room.alarmsById);
    return space.id;
  }
  if (inside(ctx, placeId, alarm.point || alarm.area)) {
    keep(others);
    return null;
  }
  return undefined;
}
