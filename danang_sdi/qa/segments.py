"""Segment matching: which polygons of a coverage GEOS's coverage validation needs to see.

GEOS first pairs each segment with the same segment of a neighbour: one run the other way round (the
neighbour on the other side) "matches" and is valid; two run the same way are both invalid. Only the
segments left unmatched are then tested against the neighbours (crossings, collinear overlaps, vertices
inside a neighbour and, with a gap width, near-parallel neighbours closer than it). So a polygon whose
every segment has exactly one reversed twin in its partition has no invalid edge, whatever lies around
it; and for the others, only the polygons within reach of their unmatched segments count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


def _mix(v: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the bits of each uint64 (into a new array)."""
    v = v ^ (v >> np.uint64(30))
    v *= np.uint64(0xBF58476D1CE4E5B9)
    v ^= v >> np.uint64(27)
    v *= np.uint64(0x94D049BB133111EB)
    v ^= v >> np.uint64(31)
    return v


@dataclass(frozen=True)
class Segments:
    """Every ring segment of a coverage's polygons: from (x0, y0) to (x1, y1) along the ring, or the other
    way round where ``flip``, so that its polygon lies on its left."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    flip: np.ndarray
    owner: np.ndarray  # coverage position of the segment's polygon
    key: np.ndarray  # uint64 hash of the two end points' coordinates, the same both ways round
    sure: np.ndarray  # a real segment (two distinct points) of a ring whose orientation is beyond doubt

    @classmethod
    def of(cls, geoms: np.ndarray) -> Segments:
        # Rings: a polygon without holes is its own shell; only the others are taken apart.
        owner, shell = np.arange(len(geoms)), np.ones(len(geoms), dtype=bool)
        multi = shapely.get_type_id(geoms) == 6
        if multi.any():
            parts, part = shapely.get_parts(geoms[multi], return_index=True)
            geoms, owner = np.concatenate([geoms[~multi], parts]), np.r_[owner[~multi], owner[multi][part]]
            shell = np.ones(len(geoms), dtype=bool)
        holed = shapely.get_num_interior_rings(geoms) > 0
        if holed.any():
            rings, part = shapely.get_rings(geoms[holed], return_index=True)
            geoms, owner = np.concatenate([geoms[~holed], rings]), np.r_[owner[~holed], owner[holed][part]]
            shell = np.r_[shell[~holed], True, part[1:] != part[:-1]]
        xy, ring = shapely.get_coordinates(geoms, return_index=True)
        a = np.flatnonzero(ring[:-1] == ring[1:])  # segment a -> b = a + 1, never from one ring to the next
        b = a + 1
        # Its key: a hash of both end points' coordinate bits, the same both ways round.
        hashed = _mix(xy[:, 1].view(np.uint64))
        hashed ^= xy[:, 0].view(np.uint64)
        hashed = _mix(hashed)
        key = hashed[a]
        key += hashed[b]
        del hashed
        x0, y0, x1, y1 = xy[a, 0], xy[a, 1], xy[b, 0], xy[b, 1]
        del b
        # Orientation: shoelace sum around each ring's first vertex (for precision); too close to call ->
        # unsure, and those segments never count as matched.
        begins = np.flatnonzero(np.diff(ring, prepend=-1))
        sides = np.diff(np.r_[begins, len(ring)]) - 1
        ring = ring[a]
        del a
        ox, oy = np.repeat(xy[begins, 0], sides), np.repeat(xy[begins, 1], sides)
        left = x0 - ox
        left *= y1 - oy
        right = np.subtract(x1, ox, out=ox)
        right *= np.subtract(y0, oy, out=oy)
        area = np.bincount(ring, left - right, minlength=len(geoms))
        np.abs(left, out=left)
        left += np.abs(right, out=right)
        scale = np.bincount(ring, left, minlength=len(geoms))
        del left, right, ox, oy
        sure = (np.abs(area) > 1e-9 * scale)[ring] & ((x0 != x1) | (y0 != y1))
        flip = ((area > 0) != shell)[ring]  # shells counter-clockwise, holes clockwise: polygon on the left
        return cls(x0, y0, x1, y1, flip, owner[ring], key, sure)

    def unmatched(self, group: np.ndarray) -> np.ndarray:
        """Segments not matched by exactly one reversed segment of the same partition (as GEOS sees it)."""
        label = group[self.owner]
        # Sort the keys with each segment's number in their low bits (much faster than an argsort).
        bits = max(1, (len(self.key) - 1).bit_length())
        low = np.uint64((1 << bits) - 1)
        key = (self.key ^ _mix(label.astype(np.uint64))) & ~low | np.arange(len(self.key), dtype=np.uint64)
        key.sort()
        order = (key & low).astype(np.intp)
        key >>= np.uint64(bits)
        same = key[1:] == key[:-1]
        alone = np.r_[True, ~same[:-1]] & np.r_[~same[1:], True]  # a run of exactly two equal keys
        pair = np.flatnonzero(same & alone)
        i, j = order[pair], order[pair + 1]
        del key, order, same, alone, pair
        # Coordinates, not hashes, decide: the same end points, run in opposite directions.
        x0i, y0i, x1i, y1i = self.x0[i], self.y0[i], self.x1[i], self.y1[i]
        x0j, y0j, x1j, y1j = self.x0[j], self.y0[j], self.x1[j], self.y1[j]
        crossed = (x0i == x1j) & (y0i == y1j) & (x1i == x0j) & (y1i == y0j)
        straight = (x0i == x0j) & (y0i == y0j) & (x1i == x1j) & (y1i == y1j)
        matched = (
            np.where(self.flip[i] == self.flip[j], crossed, straight)
            & (label[i] == label[j])
            & self.sure[i]
            & self.sure[j]
        )
        loose = np.ones(len(self.key), dtype=bool)
        loose[i[matched]] = False
        loose[j[matched]] = False
        return loose
