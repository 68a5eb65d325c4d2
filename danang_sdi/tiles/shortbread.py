"""The Shortbread vector tile schema, version 1.0, as data.

Source: shortbread-tiles/shortbread-docs, ``shortbread-website/content/schema/1.0.md`` (CC0, started by
Geofabrik). Where the document is silent or self-contradictory, the reference tilemaker profile
(shortbread-tiles/shortbread-tilemaker ``process.lua``) decides:

- ``*_link`` roads go to ``streets`` with the kind of their class and ``link=true``;
- rail without ``service=*`` from z8, with ``service=*`` from z10;
- water polygons and river/canal lines appear once they are big enough (0.01 px² resp. 0.25 px at 256 px
  tiles), never before the documented zoom; ``water_polygons_labels`` only at z14;
- ``amenity=ferry_terminal`` (not ``aerialway=``) for ferry terminals; ``leisure=sports_centre`` (the real
  OSM value) gives the site kind ``sports_center`` the document names;
- features are sorted in rendering order: ascending ``z_order`` (tunnels and minor roads first).

Not produced: ``ocean`` (needs the pre-processed coastline polygons from osmdata.openstreetmap.de, which
cannot be fetched here).

Each rule reads: layer, geometry (``point`` = node, ``line`` = way, ``area`` = polygon, ``centroid`` = a
label point of a polygon), the OSM tag that selects it (``key=v1|v2`` or ``key=*``), the kind it gives
(``None`` = the tag value), its minimum zoom and extra conditions (``key``, ``key=v1|v2``, ``!key``,
``!key=v``; ``a or b`` for alternatives). For one OSM object and one layer the first matching rule wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_NAME = "Shortbread"
SCHEMA_VERSION = "1.0"
MAXZOOM = 14

POINT, LINE, AREA, CENTROID = "point", "line", "area", "centroid"


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of the schema: which OSM objects go to which layer, with which kind, from which zoom."""

    layer: str
    geometry: str
    match: str
    kind: str | None = None
    minzoom: int = MAXZOOM
    when: tuple[str, ...] = ()
    grow: tuple[str, float] | None = None  # ("area"|"length", pixels): later zoom for small features
    closed_is_line: bool = False  # a closed way is a line for this rule (streets), else an area
    needs_area_tag: bool = False  # a closed way is an area for this rule only with area=yes
    unless_layer: str | None = None  # skip when the object already went to that layer (addresses vs pois)


@dataclass(frozen=True, slots=True)
class Field:
    """One attribute of a layer: its name, MVT type, first zoom it is written at and how it is computed."""

    name: str
    type: str  # String | Number | Boolean (as in TileJSON vector_layers)
    source: str  # a key of danang_sdi.tiles.classify.SOURCES
    minzoom: int = 0


@dataclass(frozen=True, slots=True)
class LayerSpec:
    name: str
    description: str
    fields: tuple[Field, ...] = ()
    order: str | None = None  # name of a sort value ("z_order", "-population", ...), "-" = descending
    merge_lines: bool = False  # lines with equal attributes may be merged into one feature per tile
    area_zooms: tuple[tuple[float, int], ...] = field(default=())  # (min area in km², zoom), for labels


def _names(minzoom: int = 0) -> tuple[Field, ...]:
    return (
        Field("name", "String", "name", minzoom),
        Field("name_en", "String", "name_en", minzoom),
        Field("name_de", "String", "name_de", minzoom),
    )


_KIND = Field("kind", "String", "kind")
_TUNNEL_BRIDGE = (Field("tunnel", "Boolean", "tunnel"), Field("bridge", "Boolean", "bridge"))
POI_KEYS = ("amenity", "leisure", "tourism", "shop", "man_made", "historic", "emergency", "highway", "office")

LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec(
        "water_polygons", "Inland water bodies and glaciers", (_KIND, Field("way_area", "Number", "way_area"))
    ),
    LayerSpec(
        "water_polygons_labels",
        "Label points of named water polygons",
        (_KIND, Field("way_area", "Number", "way_area"), *_names()),
        order="-way_area",
    ),
    LayerSpec("water_lines", "Waterways", (_KIND, *_TUNNEL_BRIDGE), order="layer", merge_lines=True),
    LayerSpec("water_lines_labels", "Named waterways", (_KIND, *_names()), order="layer", merge_lines=True),
    LayerSpec("dam_lines", "Dams mapped as lines", (_KIND,)),
    LayerSpec("dam_polygons", "Dams mapped as polygons", (_KIND,)),
    LayerSpec("pier_lines", "Piers, breakwaters and groynes mapped as lines", (_KIND,)),
    LayerSpec("pier_polygons", "Piers, breakwaters and groynes mapped as polygons", (_KIND,)),
    LayerSpec(
        "boundaries",
        "Boundary lines of countries and states",
        (
            Field("admin_level", "Number", "admin_level"),
            Field("maritime", "Boolean", "maritime"),
            Field("disputed", "Boolean", "disputed"),
        ),
        merge_lines=True,
    ),
    LayerSpec(
        "boundary_labels",
        "Label points of countries and states",
        (
            Field("admin_level", "Number", "admin_level"),
            Field("way_area", "Number", "way_area_ha"),
            *_names(),
        ),
        order="-way_area",
        area_zooms=((2e6, 2), (7e5, 3), (1e5, 4), (0.0, 5)),
    ),
    LayerSpec(
        "place_labels",
        "Label points of populated places",
        (_KIND, *_names(), Field("population", "Number", "population")),
        order="-population",
    ),
    LayerSpec("land", "Land use and land cover, drawn first", (_KIND,)),
    LayerSpec("sites", "Land use above the land layer, below buildings", (_KIND,)),
    LayerSpec("buildings", "Every building (not building=no)"),
    LayerSpec(
        "addresses",
        "Address points (polygons by a point inside), unless the object is a POI",
        (Field("housename", "String", "housename"), Field("housenumber", "String", "housenumber")),
    ),
    LayerSpec(
        "streets",
        "The road, path and rail network",
        (
            Field("kind", "String", "kind", 5),
            Field("link", "Boolean", "link", 11),
            Field("rail", "Boolean", "rail", 5),
            Field("tunnel", "Boolean", "tunnel", 11),
            Field("bridge", "Boolean", "bridge", 11),
            Field("oneway", "Boolean", "oneway", 14),
            Field("oneway_reverse", "Boolean", "oneway_reverse", 14),
            Field("tracktype", "String", "tracktype", 11),
            Field("surface", "String", "surface", 11),
            Field("service", "String", "service", 11),
            Field("bicycle", "String", "bicycle", 14),
            Field("horse", "String", "horse", 14),
        ),
        order="z_order",
        merge_lines=True,
    ),
    LayerSpec(
        "street_polygons",
        "Pedestrian areas, service areas, runways and taxiways mapped as polygons",
        (
            _KIND,
            Field("rail", "Boolean", "rail"),
            *_TUNNEL_BRIDGE,
            Field("surface", "String", "surface"),
        ),
        order="z_order",
    ),
    LayerSpec(
        "street_labels",
        "Street lines for labels: names and refs",
        (
            _KIND,
            Field("ref", "String", "ref"),
            Field("ref_rows", "Number", "ref_rows"),
            Field("ref_cols", "Number", "ref_cols"),
            *_names(),
        ),
        order="z_order",
        merge_lines=True,
    ),
    LayerSpec("streets_polygons_labels", "Label points of named street polygons", (_KIND, *_names())),
    LayerSpec(
        "street_labels_points",
        "Motorway exits",
        (_KIND, Field("ref", "String", "ref"), *_names()),
    ),
    LayerSpec("bridges", "Bridges mapped as polygons", (_KIND,)),
    LayerSpec("aerialways", "Aerialways", (_KIND,), merge_lines=True),
    LayerSpec("ferries", "Ferry routes", (_KIND, *_names()), merge_lines=True),
    LayerSpec("public_transport", "Stops and stations (polygons by a point inside)", (_KIND, *_names())),
    LayerSpec(
        "pois",
        "Points of interest (polygons by a point inside)",
        (
            *(Field(key, "String", f"poi:{key}") for key in POI_KEYS),
            *_names(),
            Field("housename", "String", "housename"),
            Field("housenumber", "String", "housenumber"),
            *(
                Field(key, "String", f"extra:{key}")
                for key in (
                    "cuisine",
                    "sport",
                    "vending",
                    "information",
                    "tower:type",
                    "religion",
                    "denomination",
                )
            ),
            *(
                Field(key, "Boolean", f"yes:{key}")
                for key in (
                    "recycling:glass_bottles",
                    "recycling:paper",
                    "recycling:clothes",
                    "recycling:scrap_metal",
                    "atm",
                )
            ),
        ),
    ),
)
# Attributes of POIs that are set only for some values of the selecting key (name → key=values).
POI_EXTRA_WHEN = {
    "cuisine": ("amenity", ("restaurant", "fast_food", "pub", "bar", "cafe")),
    "sport": ("leisure", ("pitch", "sports_centre")),
    "vending": ("amenity", ("vending_machine",)),
    "information": ("tourism", ("information",)),
    "tower:type": ("man_made", ("tower",)),
    "religion": ("amenity", ("place_of_worship",)),
    "denomination": ("amenity", ("place_of_worship",)),
    "recycling:glass_bottles": ("amenity", ("recycling",)),
    "recycling:paper": ("amenity", ("recycling",)),
    "recycling:clothes": ("amenity", ("recycling",)),
    "recycling:scrap_metal": ("amenity", ("recycling",)),
    "atm": ("amenity", ("bank",)),
}

PLACE_DEFAULT_POPULATION = {
    "city": 100_000,
    "town": 5_000,
    "village": 100,
    "hamlet": 50,
    "suburb": 1_000,
    "quarter": 500,
    "neighbourhood": 100,
    "isolated_dwelling": 5,
    "farm": 5,
    "island": 0,
    "locality": 0,
}

POI_VALUES = {
    "amenity": "police fire_station post_box post_office telephone library townhall courthouse prison embassy "
    "community_centre nursing_home arts_centre grave_yard marketplace recycling university school college "
    "public_building pharmacy hospital clinic doctors dentist veterinary theatre nightclub cinema restaurant "
    "fast_food cafe pub bar food_court biergarten shelter car_rental car_wash car_sharing bicycle_rental "
    "vending_machine bank atm toilets bench drinking_water fountain hunting_stand waste_basket "
    "place_of_worship playground dog_park",
    "leisure": "sports_centre pitch swimming_pool water_park golf_course stadium ice_rink",
    "tourism": "hotel motel bed_and_breakfast guest_house hostel chalet camp_site alpine_hut caravan_site "
    "information picnic_site viewpoint zoo theme_park",
    "shop": "supermarket bakery kiosk mall department_store general convenience convinience clothes florist "
    "chemist books butcher shoes alcohol beverages optician optican jewelry gift sports stationery outdoor "
    "mobile_phone toys newsagent greengrocer beauty video car bicycle doityourself hardware furniture computer "
    "garden_centre hairdresser travel_agency laundry dry_cleaning",
    "man_made": "surveillance tower windmill lighthouse wastewater_plant water_well watermill water_works",
    "historic": "monument memorial artwork castle ruins archaeological_site archaelogical_site wayside_cross "
    "wayside_shrine battlefield fort",
    "emergency": "phone fire_hydrant defibrillator",
    "highway": "emergency_access_point",
    "office": "diplomatic",
}

_PLACES_LOW = "village|hamlet|suburb|quarter|neighbourhood|isolated_dwelling|farm|island|locality"
_LAND_11 = (
    "landuse=grass|meadow|orchard|vineyard|allotments|village_green|recreation_ground|greenhouse_horticulture"
    "|plant_nursery|quarry"
)
_LAND_10 = "landuse=residential|industrial|commercial|garages|retail|railway|landfill|brownfield|greenfield|farmyard|farmland"
_MINOR_HIGHWAYS = "highway=unclassified|residential|living_street|busway|bus_guideway|service|pedestrian|track|footway|steps|path|cycleway"
_RAIL_OTHER = "railway=light_rail|tram|subway|funicular|monorail"
_AERIALWAYS = "aerialway=cable_car|gondola|goods|chair_lift|drag_lift|t-bar|j-bar|platter|rope_tow"

_STREET_LINES = (
    ("highway=motorway|motorway_link", "motorway", 5),
    ("highway=trunk|trunk_link", "trunk", 6),
    ("highway=primary|primary_link", "primary", 8),
    ("highway=secondary|secondary_link", "secondary", 9),
    ("highway=tertiary|tertiary_link", "tertiary", 10),
    ("highway=unclassified|residential|busway|bus_guideway", None, 12),
    ("highway=living_street|service|pedestrian|track|footway|steps|path|cycleway", None, 13),
    ("aeroway=runway", None, 11),
    ("aeroway=taxiway", None, 13),
)
_STREET_LABELS = (
    ("highway=motorway", 10),
    ("highway=trunk|primary", 12),
    ("highway=motorway_link|trunk_link|primary_link|secondary|secondary_link|tertiary", 13),
    ("highway=tertiary_link", 14),
    (_MINOR_HIGHWAYS, 14),
    ("aeroway=runway", 11),
    ("aeroway=taxiway", 13),
    ("railway=rail|narrow_gauge|tram|light_rail|funicular|subway|monorail", 10),
)

RULES: tuple[Rule, ...] = (
    # water
    Rule("water_polygons", AREA, "natural=glacier", "glacier", 4, grow=("area", 0.01)),
    Rule("water_polygons", AREA, "natural=water", "river", 4, when=("water=river",), grow=("area", 0.1)),
    Rule("water_polygons", AREA, "natural=water", "water", 4, grow=("area", 0.01)),
    Rule("water_polygons", AREA, "waterway=riverbank", "river", 4, grow=("area", 0.1)),
    Rule("water_polygons", AREA, "landuse=reservoir|basin", None, 4, grow=("area", 0.01)),
    Rule("water_polygons", AREA, "waterway=dock|canal", None, 10, grow=("area", 0.1)),
    Rule("water_polygons_labels", CENTROID, "natural=water", "river", 14, when=("name", "water=river")),
    Rule("water_polygons_labels", CENTROID, "natural=water|glacier", None, 14, when=("name",)),
    Rule("water_polygons_labels", CENTROID, "waterway=riverbank", "river", 14, when=("name",)),
    Rule("water_polygons_labels", CENTROID, "landuse=reservoir|basin", None, 14, when=("name",)),
    Rule("water_polygons_labels", CENTROID, "waterway=dock|canal", None, 14, when=("name",)),
    Rule("water_lines", LINE, "waterway=river|canal", None, 9, grow=("length", 0.25)),
    Rule("water_lines", LINE, "waterway=stream|ditch", None, 14),
    Rule("water_lines_labels", LINE, "waterway=river|canal", None, 12, when=("name",), grow=("length", 0.25)),
    Rule("water_lines_labels", LINE, "waterway=stream|ditch", None, 14, when=("name",)),
    Rule("dam_lines", LINE, "waterway=dam", "dam", 12),
    Rule("dam_polygons", AREA, "waterway=dam", "dam", 12),
    Rule("pier_lines", LINE, "man_made=pier|breakwater|groyne", None, 12),
    Rule("pier_polygons", AREA, "man_made=pier|breakwater|groyne", None, 12),
    # countries, states, cities (_admin_level is set on ways that are members of boundary relations)
    Rule("boundaries", LINE, "_admin_level=2", None, 0, closed_is_line=True),
    Rule("boundaries", LINE, "_admin_level=3|4", None, 7, closed_is_line=True),
    Rule("boundary_labels", CENTROID, "boundary=administrative", None, 2, when=("admin_level=2|4", "name")),
    Rule("place_labels", POINT, "place=city|town|village|hamlet", "capital", 4, when=("name", "capital=yes")),
    Rule(
        "place_labels",
        POINT,
        "place=city|town|village|hamlet",
        "state_capital",
        4,
        when=("name", "capital=4"),
    ),
    Rule("place_labels", POINT, "place=city", None, 6, when=("name",)),
    Rule("place_labels", POINT, "place=town", None, 7, when=("name",)),
    Rule("place_labels", POINT, f"place={_PLACES_LOW}", None, 10, when=("name",)),
    # land use, land cover, buildings
    Rule("land", AREA, "landuse=forest", "forest", 7),
    Rule("land", AREA, "natural=wood", "forest", 7),
    Rule("land", AREA, _LAND_10, None, 10),
    Rule("land", AREA, _LAND_11, None, 11),
    Rule("land", AREA, "landuse=cemetery", None, 13),
    Rule("land", AREA, "natural=sand|beach", None, 10),
    Rule("land", AREA, "natural=heath|scrub|grassland|bare_rock|scree|shingle", None, 11),
    Rule("land", AREA, "wetland=swamp|bog|string_bog|wet_meadow|marsh", None, 11),
    Rule("land", AREA, "amenity=grave_yard", None, 13),
    Rule("land", AREA, "leisure=golf_course|park|garden|playground|miniature_golf", None, 11),
    Rule("sites", AREA, "military=danger_area", None, 14),
    Rule("sites", AREA, "leisure=sports_centre|sports_center", "sports_center", 14),
    Rule(
        "sites", AREA, "amenity=university|college|school|hospital|prison|parking|bicycle_parking", None, 14
    ),
    Rule("sites", AREA, "landuse=construction", None, 14),
    Rule("buildings", AREA, "building=*", None, 14, when=("!building=no",)),
    # streets and transport
    *(Rule("streets", LINE, match, kind, zoom, closed_is_line=True) for match, kind, zoom in _STREET_LINES),
    Rule("streets", LINE, "railway=rail|narrow_gauge", None, 8, when=("!service",), closed_is_line=True),
    Rule("streets", LINE, "railway=rail|narrow_gauge", None, 10, closed_is_line=True),
    Rule("streets", LINE, _RAIL_OTHER, None, 10, closed_is_line=True),
    Rule("street_polygons", AREA, "highway=pedestrian|service", None, 14, needs_area_tag=True),
    Rule("street_polygons", AREA, "area:aeroway=runway", None, 11),
    Rule("street_polygons", AREA, "area:aeroway=taxiway", None, 13),
    *(
        Rule("street_labels", LINE, match, None, zoom, when=("name or ref",), closed_is_line=True)
        for match, zoom in _STREET_LABELS
    ),
    Rule(
        "streets_polygons_labels",
        CENTROID,
        "highway=pedestrian|service",
        None,
        14,
        ("name",),
        needs_area_tag=True,
    ),
    Rule("streets_polygons_labels", CENTROID, "area:aeroway=runway|taxiway", None, 14, ("name",)),
    Rule("street_labels_points", POINT, "highway=motorway_junction", None, 12),
    Rule("bridges", AREA, "man_made=bridge", "bridge", 12),
    Rule("aerialways", LINE, _AERIALWAYS, None, 12, closed_is_line=True),
    Rule("ferries", LINE, "route=ferry", "ferry", 10, when=("!motor_vehicle=no",), closed_is_line=True),
    Rule("ferries", LINE, "route=ferry", "ferry", 12, closed_is_line=True),
    # points of interest
    *(
        Rule("public_transport", geometry, match, kind, zoom)
        for geometry in (POINT, CENTROID)
        for match, kind, zoom in (
            ("aeroway=aerodrome", None, 11),
            ("aeroway=helipad", None, 13),
            ("railway=station|halt", None, 13),
            ("railway=tram_stop", None, 14),
            ("amenity=bus_station", None, 13),
            ("highway=bus_stop", None, 14),
            ("amenity=ferry_terminal", None, 12),
            ("aerialway=station", "aerialway_station", 13),
        )
    ),
    *(
        Rule("pois", geometry, f"{key}={values.replace(' ', '|')}", None, 14)
        for geometry in (POINT, CENTROID)
        for key, values in POI_VALUES.items()
    ),
    *(
        Rule("addresses", geometry, f"{key}=*", None, 14, unless_layer="pois")
        for geometry in (POINT, CENTROID)
        for key in ("addr:housenumber", "addr:housename")
    ),
)
