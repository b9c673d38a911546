// The site model from GET /api/model, indexed: every place and piece of equipment by id,
// its parent, and the holder of every point. The server shows only what the user may see.

export class SiteIndex {
  constructor(tree) {
    this.site = tree;
    this.entities = new Map(); // id -> { id, name, kind, brick, points, node, parent, children }
    this.holderOf = new Map(); // point id -> entity id
    this.tenants = new Map((tree.tenants || []).map((t) => [t.id, t.name]));
    for (const building of tree.buildings || []) this.#add(building, null);
  }

  static async load(api, signal) {
    return new SiteIndex(await api.get("/api/model", undefined, signal));
  }

  #add(node, parent) {
    const entry = {
      id: node.id,
      name: node.name || node.local_id || node.id,
      kind: node.kind,
      brick: node.brick,
      points: node.points || [],
      node,
      parent,
      children: [],
    };
    this.entities.set(node.id, entry);
    if (parent) this.entities.get(parent).children.push(node.id);
    for (const point of entry.points) this.holderOf.set(point, node.id);
    for (const key of ["floors", "spaces", "equipment", "parts"]) {
      for (const child of node[key] || []) this.#add(child, node.id);
    }
  }

  get(id) {
    return this.entities.get(id) || null;
  }

  buildings() {
    return (this.site.buildings || []).map((b) => this.get(b.id));
  }

  /** A building's floors, the top one first (as a section of the building is drawn). */
  floors(buildingId) {
    const building = this.get(buildingId);
    if (!building) return [];
    return [...(building.node.floors || [])]
      .sort((a, b) => (b.level ?? 0) - (a.level ?? 0))
      .map((f) => this.get(f.id));
  }

  spaces(floorId) {
    const floor = this.get(floorId);
    return floor ? (floor.node.spaces || []).map((s) => this.get(s.id)) : [];
  }

  /** The equipment held directly by an entity (not by its spaces or parts). */
  equipment(id) {
    const entity = this.get(id);
    if (!entity) return [];
    const key = entity.kind === "equipment" ? "parts" : "equipment";
    return (entity.node[key] || []).map((e) => this.get(e.id));
  }

  /** The entity and all under it, depth first. */
  *within(id) {
    const entity = this.get(id);
    if (!entity) return;
    yield entity;
    for (const child of entity.children) yield* this.within(child);
  }

  /** The chain from the building down to the entity, for breadcrumbs. */
  lineage(id) {
    const chain = [];
    for (let e = this.get(id); e; e = e.parent ? this.get(e.parent) : null) chain.unshift(e);
    return chain;
  }

  /** The nearest entity of a kind, the entity itself included ("space", "floor", ...). */
  nearest(id, kind) {
    for (let e = this.get(id); e; e = e.parent ? this.get(e.parent) : null) {
      if (e.kind === kind) return e;
    }
    return null;
  }

  /** The space a point is in (its holder's nearest space), or null. */
  spaceOfPoint(pointId) {
    const holder = this.holderOf.get(pointId);
    return holder ? this.nearest(holder, "space") : null;
  }

  tenantName(id) {
    return id ? this.tenants.get(id) || id : "";
  }
}

/** The route of an entity's page: #/building/<id>, #/floor/<id>, #/space/<id>, ... */
export function entityRoute(entity) {
  return `#/${entity.kind}/${encodeURIComponent(entity.id)}`;
}
