"""A synthetic cadastral coverage: city blocks of house lots and road parcels on one jittered lattice.

Every parcel is a rectangle of lattice cells whose ring walks through *every* lattice vertex on its
boundary, and every vertex is jittered, rotated and rounded once, so neighbours share their edges
exactly: the result is a valid polygon coverage (no gaps, no overlaps), as a clean cadastral map is.
Everything is numpy arrays, so 560,000 parcels take a few seconds.

Layout, from the south-west corner: rows repeat ``lot, lot, road`` (a block two lots deep, the lots
back to back, each facing its own street); columns repeat a run of lot columns then a road column.
Lots are 1–3 cells (rarely a big public lot), roads are one parcel per street segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

ANCHOR_NE = (550_300.0, 1_777_400.0)  # EPSG:5899, west bank of the Hàn river, Hải Châu: the grid grows SW
ROTATION_DEG = 8.0  # the street grid of Hải Châu is not on grid north
JITTER_M = 0.25  # every lattice vertex moves once, at most this much on each axis
FRONTAGE_M = (4.0, 7.5)  # lot width along the street
DEPTH_M = (12.0, 20.0)  # lot depth
ROAD_WIDTH_M = (7.5, 15.0)  # road parcels (right of way)
LOTS_PER_BLOCK = (10, 18)  # lot columns between two cross streets
BIG_LOT_SHARE = 0.01  # share of runs that become a public / commercial lot of 4–8 cells
MERGE_SHARE = 0.14  # share of lot runs of 2–3 cells

# What a parcel is, for the caller's land-use choice.
LOT, BIG_LOT, ROAD = 0, 1, 2


@dataclass(frozen=True)
class Coverage:
    """Parcels of one lattice: geometry plus the facts a caller turns into attributes."""

    geometry: np.ndarray  # shapely Polygons, EPSG:5899
    kind: np.ndarray  # LOT, BIG_LOT or ROAD
    cells: np.ndarray  # lattice cells in the parcel
    row: np.ndarray  # lattice row of the parcel's south edge
    col: np.ndarray  # lattice column of the parcel's west edge
    street: np.ndarray  # index of the street the parcel faces (roads: the street itself)
    house_number: np.ndarray  # 0 for roads
    centroid: np.ndarray  # (n, 2) float, EPSG:5899

    def __len__(self) -> int:
        return len(self.geometry)


def _cycle_sizes(rng: np.random.Generator, total: int, run: tuple[int, int]) -> np.ndarray:
    """Lengths of lot runs between road columns until ``total`` lot columns are placed."""
    sizes = rng.integers(run[0], run[1] + 1, size=total // run[0] + 1)
    ends = np.cumsum(sizes)
    return sizes[: int(np.searchsorted(ends, total)) + 1]


def _lattice_shape(n: int) -> tuple[int, int]:
    """Lattice rows and columns for about ``n`` parcels, on a roughly square area."""
    mean_frontage, mean_depth = sum(FRONTAGE_M) / 2, sum(DEPTH_M) / 2
    lots_per_cell = 0.9  # merged runs and road parcels take cells
    area = n / lots_per_cell * mean_frontage * mean_depth * 1.4
    side = max(area**0.5, 60.0)
    lot_cols = max(int(side / mean_frontage), 4)
    block_pairs = max(round(side / (2 * mean_depth + sum(ROAD_WIDTH_M) / 2)), 1)
    return block_pairs, lot_cols


def _axis(rng: np.random.Generator, kinds: np.ndarray, lot: tuple[float, float]) -> np.ndarray:
    """Cell edges along one axis: lot cells and road cells with their own width ranges."""
    widths = np.where(
        kinds == ROAD,
        rng.uniform(*ROAD_WIDTH_M, size=len(kinds)),
        rng.uniform(*lot, size=len(kinds)),
    )
    return np.concatenate([[0.0], np.cumsum(widths)])


def _rectangles(rng: np.random.Generator, row_kind: np.ndarray, col_kind: np.ndarray):
    """Split the lattice into parcels: (i0, i1, j0, j1, kind) arrays, i = column, j = row."""
    road_cols = np.flatnonzero(col_kind == ROAD)
    lot_rows = np.flatnonzero(row_kind == LOT)
    road_rows = np.flatnonzero(row_kind == ROAD)
    ncols = len(col_kind)

    # Lot rows: runs along each row, broken at road columns and at random.
    is_lot_col = col_kind == LOT
    grid_r, grid_c = np.meshgrid(lot_rows, np.flatnonzero(is_lot_col), indexing="ij")
    r, c = grid_r.ravel(), grid_c.ravel()
    prev_is_lot = np.concatenate([[False], is_lot_col[:-1]])[c]
    draw = rng.random(len(c))
    size = np.where(draw < BIG_LOT_SHARE, rng.integers(4, 9, len(c)), 1)
    size = np.where(
        (draw >= BIG_LOT_SHARE) & (draw < BIG_LOT_SHARE + MERGE_SHARE), rng.integers(2, 4, len(c)), size
    )
    # A run starts where the previous run is exhausted: walk with a vectorised "next start" jump.
    forced = ~prev_is_lot | (np.concatenate([[True], r[1:] != r[:-1]]))
    segment = np.cumsum(forced) - 1
    seg_start = np.flatnonzero(forced)
    seg_end = np.concatenate([seg_start[1:], [len(c)]])
    starts = np.zeros(len(c), dtype=bool)
    pos = seg_start.copy()
    active = pos < seg_end
    while active.any():
        starts[pos[active]] = True
        pos = np.where(active, pos + size[np.minimum(pos, len(c) - 1)], pos)
        active = pos < seg_end
    start_idx = np.flatnonzero(starts)
    end_idx = np.concatenate([start_idx[1:], [len(c)]])
    end_idx = np.minimum(end_idx, seg_end[segment[start_idx]])
    lot_i0, lot_j0 = c[start_idx], r[start_idx]
    lot_i1 = c[end_idx - 1] + 1
    lot_kind = np.where(end_idx - start_idx >= 4, BIG_LOT, LOT)

    # Road columns inside a block: one parcel spanning the block's lot rows (runs of consecutive lot rows).
    block_start = lot_rows[np.concatenate([[True], np.diff(lot_rows) > 1])]
    block_end = lot_rows[np.concatenate([np.diff(lot_rows) > 1, [True]])] + 1
    rc_i, rc_b = np.meshgrid(road_cols, np.arange(len(block_start)), indexing="ij")
    rc_i, rc_b = rc_i.ravel(), rc_b.ravel()

    # Road rows: one parcel per street segment, from a road column (intersection included) to the next.
    cuts = np.unique(np.concatenate([[0], road_cols, [ncols]]))
    rr_j, rr_s = np.meshgrid(road_rows, np.arange(len(cuts) - 1), indexing="ij")
    rr_j, rr_s = rr_j.ravel(), rr_s.ravel()

    i0 = np.concatenate([lot_i0, rc_i, cuts[rr_s]])
    i1 = np.concatenate([lot_i1, rc_i + 1, cuts[rr_s + 1]])
    j0 = np.concatenate([lot_j0, block_start[rc_b], rr_j])
    j1 = np.concatenate([lot_j0 + 1, block_end[rc_b], rr_j + 1])
    kind = np.concatenate([lot_kind, np.full(len(rc_i), ROAD), np.full(len(rr_j), ROAD)])
    return i0, i1, j0, j1, kind


def _rings(i0, i1, j0, j1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lattice (i, j) of every ring vertex, counter-clockwise through all boundary vertices, closed."""
    w, h = i1 - i0, j1 - j0
    length = 2 * (w + h) + 1
    owner = np.repeat(np.arange(len(w)), length)
    t = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    w_, h_, i0_, j0_ = w[owner], h[owner], i0[owner], j0[owner]
    bottom = t <= w_
    right = (t > w_) & (t <= w_ + h_)
    top = (t > w_ + h_) & (t <= 2 * w_ + h_)
    i = np.select([bottom, right, top], [t, w_, 2 * w_ + h_ - t], 0)
    j = np.select([bottom, right, top], [0, t - w_, h_], np.maximum(2 * (w_ + h_) - t, 0))
    return i0_ + i, j0_ + j, owner


def build_coverage(n: int, seed: int) -> Coverage:
    """About ``n`` parcels (exactly ``n`` after trimming by the caller) on one lattice, deterministic per seed.

    Examples
    --------
    >>> cov = build_coverage(200, seed=1)
    >>> len(cov) >= 200 and bool(shapely.coverage_is_valid(cov.geometry))
    True
    """
    rng = np.random.default_rng(seed)
    block_pairs, lot_cols = _lattice_shape(n)
    while True:
        row_kind = np.tile([LOT, LOT, ROAD], block_pairs)[:-1]
        runs = _cycle_sizes(rng, lot_cols, LOTS_PER_BLOCK)
        col_kind = np.concatenate([np.append(np.full(k, LOT), ROAD) for k in runs])[:-1]
        i0, i1, j0, j1, kind = _rectangles(rng, row_kind, col_kind)
        if len(kind) >= n:
            break
        block_pairs, lot_cols = block_pairs + 1, lot_cols + LOTS_PER_BLOCK[0]

    xs = _axis(rng, col_kind, FRONTAGE_M)
    ys = _axis(rng, row_kind, DEPTH_M)
    gx, gy = np.meshgrid(xs - xs[-1], ys - ys[-1])  # the NE corner sits on the anchor
    gx = gx + rng.uniform(-JITTER_M, JITTER_M, gx.shape)
    gy = gy + rng.uniform(-JITTER_M, JITTER_M, gy.shape)
    angle = np.radians(ROTATION_DEG)
    ex = np.round(ANCHOR_NE[0] + gx * np.cos(angle) - gy * np.sin(angle), 3)
    ny = np.round(ANCHOR_NE[1] + gx * np.sin(angle) + gy * np.cos(angle), 3)

    vi, vj, owner = _rings(i0, i1, j0, j1)
    coords = np.column_stack([ex[vj, vi], ny[vj, vi]])
    rings = shapely.linearrings(coords, indices=owner)
    geometry = shapely.polygons(rings)

    street, house = _frontage(row_kind, col_kind, i0, j0, j1, kind)
    cx = (ex[j0, i0] + ex[j1, i1]) / 2
    cy = (ny[j0, i0] + ny[j1, i1]) / 2
    return Coverage(
        geometry=geometry,
        kind=kind,
        cells=(i1 - i0) * (j1 - j0),
        row=j0,
        col=i0,
        street=street,
        house_number=house,
        centroid=np.column_stack([cx, cy]),
    )


def _frontage(row_kind, col_kind, i0, j0, j1, kind) -> tuple[np.ndarray, np.ndarray]:
    """Street index and house number of each parcel.

    Streets are numbered: road rows first (east–west streets), then road columns (north–south).
    A lot faces the road row next to it (south for the first row of a block, north for the second);
    odd numbers on the south side of a street, even on the north, growing eastwards.
    """
    road_rows = np.flatnonzero(row_kind == ROAD)
    road_cols = np.flatnonzero(col_kind == ROAD)
    row_street = np.full(len(row_kind) + 1, -1)
    row_street[road_rows] = np.arange(len(road_rows))
    # A lot in the first row of a block faces the street below (road row j0-1), else the one above (j1).
    below = np.concatenate([[-1], row_street[:-1]])[j0]
    above = row_street[j1]
    faces_south = below >= 0
    lot_street = np.where(faces_south, below, np.where(above >= 0, above, 0))
    house = 2 * i0 + np.where(faces_south, 2, 1)  # north side of the street below is even
    col_street = np.full(len(col_kind), -1)
    col_street[road_cols] = len(road_rows) + np.arange(len(road_cols))
    is_road = kind == ROAD
    road_street = np.where(row_street[j0] >= 0, row_street[j0], col_street[i0])
    street = np.where(is_road, road_street, lot_street)
    return street, np.where(is_road, 0, house)
