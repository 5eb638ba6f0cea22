"""InfoPass API: creates the app and registers the blueprints (and the SnapStart hooks)."""
from chalice import Chalice

from chalicelib import cors, problems, snapstart
from chalicelib.booking.jobs import jobs as booking_jobs
from chalicelib.booking.routes import api as booking_api
from chalicelib.notices.handlers import notices
from chalicelib.notices.letters_routes import api as letters_api
from chalicelib.offices.jobs import jobs as office_jobs
from chalicelib.offices.routes import api as offices_api
from chalicelib.openapi_routes import api as openapi_api
from chalicelib.performance.jobs import jobs as performance_jobs
from chalicelib.performance.routes import api as performance_api
from chalicelib.staff.routes import api as staff_auth
from chalicelib.triage.jobs import jobs as triage_jobs
from chalicelib.triage.routes import api as triage_api
from chalicelib.waitlist.jobs import jobs as waitlist_jobs
from chalicelib.waitlist.routes import api as waitlist_api

app = Chalice(app_name="infopass")
# CORS first: it wraps the problem middleware, so errors carry the CORS headers too.
app.register_middleware(cors.middleware, "http")
app.register_middleware(problems.as_problem, "http")
app.register_blueprint(staff_auth)
app.register_blueprint(booking_api, url_prefix="/v1")
app.register_blueprint(openapi_api, url_prefix="/v1")
app.register_blueprint(booking_jobs)
app.register_blueprint(notices)
app.register_blueprint(letters_api, url_prefix="/v1")
app.register_blueprint(triage_api, url_prefix="/v1")
app.register_blueprint(triage_jobs)
app.register_blueprint(offices_api, url_prefix="/v1")
app.register_blueprint(office_jobs)
app.register_blueprint(performance_api, url_prefix="/v1")
app.register_blueprint(performance_jobs)
app.register_blueprint(waitlist_api, url_prefix="/v1")
app.register_blueprint(waitlist_jobs)
cors.add_preflight_routes(app)  # last: every route registered above gets its preflight
snapstart.register()  # before-snapshot and after-restore hooks, on Lambda's runtime only
