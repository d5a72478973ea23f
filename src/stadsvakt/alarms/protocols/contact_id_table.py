"""Contact ID (SIA DC-05) event codes as data: code → description and category.

Covers the standard groups: 1xx alarms, 2xx supervisory, 3xx troubles, 4xx
openings/closings and access, 5xx bypasses and disables, 6xx tests and
miscellaneous, 9xx vendor-common extensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from stadsvakt.alarms.protocols.events import Category

_FIR = Category.FIRE
_HLD = Category.HOLD_UP
_MED = Category.MEDICAL
_SOC = Category.SOCIAL
_INT = Category.INTRUSION
_TMP = Category.TAMPER
_TEC = Category.TECHNICAL
_FLT = Category.FAULT
_OC = Category.OPEN_CLOSE
_TST = Category.TEST
_OTH = Category.OTHER

# fmt: off
_ROWS: dict[str, tuple[str, Category]] = {
    "100": ("Medical", _MED), "101": ("Personal emergency", _MED),
    "102": ("Fail to report in", _SOC), "110": ("Fire", _FIR), "111": ("Smoke", _FIR),
    "112": ("Combustion", _FIR), "113": ("Water flow", _FIR), "114": ("Heat", _FIR),
    "115": ("Pull station", _FIR), "116": ("Duct", _FIR), "117": ("Flame", _FIR),
    "118": ("Near alarm", _FIR), "120": ("Panic", _HLD), "121": ("Duress", _HLD),
    "122": ("Silent hold-up", _HLD), "123": ("Audible hold-up", _HLD),
    "124": ("Duress - access granted", _HLD), "125": ("Duress - egress granted", _HLD),
    "126": ("Hold-up suspicion", _HLD), "129": ("Panic verifier", _HLD),
    "130": ("Burglary", _INT), "131": ("Perimeter", _INT), "132": ("Interior", _INT),
    "133": ("24 hour (safe)", _INT), "134": ("Entry/exit", _INT), "135": ("Day/night", _INT),
    "136": ("Outdoor", _INT), "137": ("Tamper", _TMP), "138": ("Near alarm", _INT),
    "139": ("Intrusion verifier", _INT), "140": ("General alarm", _INT),
    "141": ("Polling loop open", _INT), "142": ("Polling loop short", _INT),
    "143": ("Expansion module failure", _FLT), "144": ("Sensor tamper", _TMP),
    "145": ("Expansion module tamper", _TMP), "146": ("Silent burglary", _INT),
    "147": ("Sensor supervision failure", _FLT), "150": ("24 hour non-burglary", _TEC),
    "151": ("Gas detected", _TEC), "152": ("Refrigeration", _TEC), "153": ("Loss of heat", _TEC),
    "154": ("Water leakage", _TEC), "155": ("Foil break", _INT), "156": ("Day trouble", _FLT),
    "157": ("Low bottled gas level", _TEC), "158": ("High temperature", _TEC),
    "159": ("Low temperature", _TEC), "161": ("Loss of air flow", _TEC),
    "162": ("Carbon monoxide detected", _TEC), "163": ("Tank level", _TEC),
    "168": ("High humidity", _TEC), "169": ("Low humidity", _TEC),
    "200": ("Fire supervisory", _FLT), "201": ("Low water pressure", _FLT),
    "202": ("Low CO2", _FLT), "203": ("Gate valve sensor", _FLT),
    "204": ("Low water level", _FLT), "205": ("Pump activated", _TEC),
    "206": ("Pump failure", _FLT), "300": ("System trouble", _FLT), "301": ("AC loss", _FLT),
    "302": ("Low system battery", _FLT), "303": ("RAM checksum bad", _FLT),
    "304": ("ROM checksum bad", _FLT), "305": ("System reset", _FLT),
    "306": ("Panel programming changed", _OTH), "307": ("Self-test failure", _FLT),
    "308": ("System shutdown", _FLT), "309": ("Battery test failure", _FLT),
    "310": ("Ground fault", _FLT), "311": ("Battery missing/dead", _FLT),
    "312": ("Power supply overcurrent", _FLT), "313": ("Engineer reset", _OTH),
    "314": ("Primary power supply failure", _FLT), "316": ("System tamper", _TMP),
    "320": ("Sounder/relay", _FLT), "321": ("Bell 1", _FLT), "322": ("Bell 2", _FLT),
    "323": ("Alarm relay", _FLT), "324": ("Trouble relay", _FLT), "325": ("Reversing relay", _FLT),
    "326": ("Notification appliance circuit 3", _FLT),
    "327": ("Notification appliance circuit 4", _FLT),
    "330": ("System peripheral trouble", _FLT), "331": ("Polling loop open", _FLT),
    "332": ("Polling loop short", _FLT), "333": ("Expansion module failure", _FLT),
    "334": ("Repeater failure", _FLT), "335": ("Local printer out of paper", _FLT),
    "336": ("Local printer failure", _FLT), "337": ("Expansion module DC loss", _FLT),
    "338": ("Expansion module low battery", _FLT), "339": ("Expansion module reset", _FLT),
    "341": ("Expansion module tamper", _TMP), "342": ("Expansion module AC loss", _FLT),
    "343": ("Expansion module self-test fail", _FLT), "344": ("RF receiver jam detect", _TMP),
    "345": ("AES encryption disabled/enabled", _OTH), "350": ("Communication trouble", _FLT),
    "351": ("Telco 1 fault", _FLT), "352": ("Telco 2 fault", _FLT),
    "353": ("Long range radio transmitter fault", _FLT),
    "354": ("Failure to communicate event", _FLT), "355": ("Loss of radio supervision", _FLT),
    "356": ("Loss of central polling", _FLT), "357": ("Long range radio VSWR problem", _FLT),
    "358": ("Periodic communication test fail", _FLT), "359": ("Path trouble", _FLT),
    "360": ("Path failure", _FLT), "370": ("Protection loop", _FLT),
    "371": ("Protection loop open", _FLT), "372": ("Protection loop short", _FLT),
    "373": ("Fire trouble", _FLT), "374": ("Exit error alarm (zone)", _INT),
    "375": ("Panic zone trouble", _FLT), "376": ("Hold-up zone trouble", _FLT),
    "377": ("Swinger trouble", _FLT), "378": ("Cross-zone trouble", _FLT),
    "380": ("Sensor trouble", _FLT), "381": ("Loss of supervision - RF", _FLT),
    "382": ("Loss of supervision - RPM", _FLT), "383": ("Sensor tamper", _TMP),
    "384": ("RF low battery", _FLT), "385": ("Smoke detector high sensitivity", _FLT),
    "386": ("Smoke detector low sensitivity", _FLT),
    "387": ("Intrusion detector high sensitivity", _FLT),
    "388": ("Intrusion detector low sensitivity", _FLT),
    "389": ("Sensor self-test failure", _FLT), "391": ("Sensor watch trouble", _FLT),
    "392": ("Drift compensation error", _FLT), "393": ("Maintenance alert", _FLT),
    "400": ("Open/close", _OC), "401": ("Open/close by user", _OC),
    "402": ("Group open/close", _OC), "403": ("Automatic open/close", _OC),
    "404": ("Late to open/close", _OC), "405": ("Deferred open/close", _OC),
    "406": ("Cancel", _OC), "407": ("Remote arm/disarm", _OC), "408": ("Quick arm", _OC),
    "409": ("Keyswitch open/close", _OC), "411": ("Callback request made", _OTH),
    "412": ("Successful download/access", _OTH), "413": ("Unsuccessful access", _OTH),
    "414": ("System shutdown command received", _OTH),
    "415": ("Dialer shutdown command received", _OTH), "416": ("Successful upload", _OTH),
    "421": ("Access denied", _OTH), "422": ("Access report by user", _OTH),
    "423": ("Forced access", _INT), "424": ("Egress denied", _OTH),
    "425": ("Egress granted", _OTH), "426": ("Access door propped open", _INT),
    "427": ("Access point door status monitor trouble", _FLT),
    "428": ("Access point request to exit trouble", _FLT),
    "429": ("Access program mode entry", _OTH), "430": ("Access program mode exit", _OTH),
    "431": ("Access threat level change", _OTH), "432": ("Access relay/trigger fail", _FLT),
    "433": ("Access RTE shunt", _OTH), "434": ("Access DSM shunt", _OTH),
    "441": ("Armed stay", _OC), "442": ("Keyswitch armed stay", _OC),
    "450": ("Exception open/close", _OC), "451": ("Early open/close", _OC),
    "452": ("Late open/close", _OC), "453": ("Failed to open", _OC),
    "454": ("Failed to close", _OC), "455": ("Auto-arm failed", _OC),
    "456": ("Partial arm", _OC), "457": ("Exit error (user)", _OC),
    "458": ("User on premises", _OC), "459": ("Recent close", _OC),
    "461": ("Wrong code entry", _TMP), "462": ("Legal code entry", _OTH),
    "463": ("Re-arm after alarm", _OC), "464": ("Auto-arm time extended", _OC),
    "465": ("Panic alarm reset", _HLD), "466": ("Service on/off premises", _OTH),
    "501": ("Access reader disable", _OTH), "520": ("Sounder/relay disable", _OTH),
    "521": ("Bell 1 disable", _OTH), "522": ("Bell 2 disable", _OTH),
    "523": ("Alarm relay disable", _OTH), "524": ("Trouble relay disable", _OTH),
    "525": ("Reversing relay disable", _OTH), "526": ("Notification circuit 3 disable", _OTH),
    "527": ("Notification circuit 4 disable", _OTH), "531": ("Module added", _OTH),
    "532": ("Module removed", _OTH), "551": ("Dialer disabled", _FLT),
    "552": ("Radio transmitter disabled", _FLT), "553": ("Remote upload/download disabled", _OTH),
    "570": ("Zone/sensor bypass", _OTH), "571": ("Fire bypass", _FIR),
    "572": ("24 hour zone bypass", _OTH), "573": ("Burglary bypass", _INT),
    "574": ("Group bypass", _OTH), "575": ("Swinger bypass", _OTH),
    "576": ("Access zone shunt", _OTH), "577": ("Access point bypass", _OTH),
    "601": ("Manual trigger test report", _TST), "602": ("Periodic test report", _TST),
    "603": ("Periodic RF transmission", _TST), "604": ("Fire test", _TST),
    "605": ("Status report to follow", _OTH), "606": ("Listen-in to follow", _OTH),
    "607": ("Walk test mode", _TST), "608": ("Periodic test - system trouble present", _TST),
    "609": ("Video transmitter active", _OTH), "611": ("Point tested OK", _TST),
    "612": ("Point not tested", _TST), "613": ("Intrusion zone walk tested", _TST),
    "614": ("Fire zone walk tested", _TST), "615": ("Panic zone walk tested", _TST),
    "616": ("Service request", _FLT), "621": ("Event log reset", _OTH),
    "622": ("Event log 50% full", _OTH), "623": ("Event log 90% full", _OTH),
    "624": ("Event log overflow", _OTH), "625": ("Time/date reset", _OTH),
    "626": ("Time/date inaccurate", _FLT), "627": ("Program mode entry", _OTH),
    "628": ("Program mode exit", _OTH), "629": ("32 hour event log marker", _OTH),
    "630": ("Schedule change", _OTH), "631": ("Exception schedule change", _OTH),
    "632": ("Access schedule change", _OTH), "641": ("Senior watch trouble", _SOC),
    "642": ("Latch-key supervision", _SOC), "654": ("System inactivity", _SOC),
    "900": ("Download abort", _OTH), "901": ("Download start/end", _OTH),
    "902": ("Download interrupted", _OTH), "910": ("Auto-close with bypass", _OC),
    "911": ("Bypass closing", _OC), "912": ("Fire alarm silence", _FIR),
    "913": ("Supervisory point test start/end", _TST), "914": ("Hold-up test start/end", _TST),
    "915": ("Burglary test print start/end", _TST),
    "916": ("Supervisory test print start/end", _TST),
    "917": ("Burglary diagnostics start/end", _TST), "918": ("Fire diagnostics start/end", _TST),
    "919": ("Untyped diagnostics", _TST), "920": ("Trouble closing", _OC),
    "921": ("Access denied, code unknown", _OTH), "922": ("Supervisory point alarm", _FLT),
    "923": ("Supervisory point bypass", _OTH), "924": ("Supervisory point trouble", _FLT),
    "925": ("Hold-up point bypass", _OTH), "926": ("AC failure for 4 hours", _FLT),
    "927": ("Output trouble", _FLT), "928": ("User code for event", _OTH),
    "929": ("Log-off", _OTH),
}
# fmt: on

#: Event code → (description, category); read-only.
CONTACT_ID_CODES: Mapping[str, tuple[str, Category]] = MappingProxyType(_ROWS)

#: Codes whose three-digit number is a user rather than a zone.
USER_CODES = frozenset(
    "121 313 400 401 402 403 404 405 406 407 408 409 411 412 413 414 415 421 422 424 "
    "425 429 430 431 441 442 450 451 452 453 454 455 456 457 458 459 462 463 464 466 "
    "574 604 607 625 642 652 653".split()
)
#: Open/close codes, where qualifier 1 means opening (disarm) and 3 closing (arm).
OPEN_CLOSE_CODES = frozenset(code for code, (_, cat) in _ROWS.items() if cat is _OC)
